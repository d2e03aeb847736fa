/* binary_trees: allocate and walk many perfect binary trees, as in the
   Computer Language Benchmarks Game (min depth 4, max depth N, N >= 6).
   Stresses allocation, recursion and memory reclamation. A tree of
   depth 0 is a node with two empty children; check counts nodes. The
   checksum is the sum of every check performed. */
#include <stdio.h>
#include <stdlib.h>

#define N 18

struct node {
    struct node *left;
    struct node *right;
};

static struct node *make(long long depth) {
    struct node *t = malloc(sizeof(struct node));
    if (depth == 0) {
        t->left = NULL;
        t->right = NULL;
    } else {
        t->left = make(depth - 1);
        t->right = make(depth - 1);
    }
    return t;
}

static long long check(const struct node *t) {
    if (t == NULL) {
        return 0;
    }
    return 1 + check(t->left) + check(t->right);
}

static void release(struct node *t) {
    if (t != NULL) {
        release(t->left);
        release(t->right);
        free(t);
    }
}

static long long pow2(long long e) {
    long long p = 1;
    for (long long i = 0; i < e; i++) {
        p = p * 2;
    }
    return p;
}

int main(void) {
    const long long min_depth = 4;
    const long long max_depth = N;
    long long total = 0;

    struct node *stretch = make(max_depth + 1);
    total = total + check(stretch);
    release(stretch);

    struct node *long_lived = make(max_depth);

    for (long long d = min_depth; d <= max_depth; d = d + 2) {
        long long iterations = pow2(max_depth - d + min_depth);
        long long sum = 0;
        for (long long i = 0; i < iterations; i++) {
            struct node *t = make(d);
            sum = sum + check(t);
            release(t);
        }
        total = total + sum;
    }

    total = total + check(long_lived);
    release(long_lived);
    printf("%lld\n", total);
    return 0;
}

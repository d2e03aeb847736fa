/* Test driver of the C runtime library, run by tests/unit/test_runtime.py.
 *
 * It uses the runtime as emitted code does (mochi.h only) and prints what it
 * computes; the Python side compares that with the reference interpreter.
 *
 *   runtime_test floats      read 16-hex-digit double bit patterns from stdin,
 *                            print "str<TAB>container<TAB>json" for each
 *   runtime_test exp         read 16-hex-digit double bit patterns from stdin,
 *                            print the bit pattern of mochi_exp of each
 *   runtime_test checks      print "tag value" lines (see test_runtime.py)
 *   runtime_test text        read a count and that many lines; print each one's
 *                            upper, lower, trim and quoted forms, then its json
 *   runtime_test bignums     read a count and that many cases of three lines (an
 *                            operation, two operands); print each result
 *   runtime_test churn N     build and drop N lists, strings, maps, structs
 *   runtime_test error NAME  stop with a runtime error after printing a line
 */
#include "mochi.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ types and helpers */

static const MType t_list_int = {MT_LIST, &mochi_t_int, NULL, NULL, NULL, NULL};
static const MType t_list_any = {MT_LIST, &mochi_t_any, NULL, NULL, NULL, NULL};
static const MType t_list_str = {MT_LIST, &mochi_t_string, NULL, NULL, NULL, NULL};

static const char *const pet_fields[] = {"name", "age", "weight"};
static const MType *const pet_types[] = {&mochi_t_string, &mochi_t_int, &mochi_t_float};
static const MStructDesc pet = {"Pet", 3, pet_fields, pet_types, NULL};
static const MType t_pet = {MT_STRUCT, NULL, NULL, NULL, &pet, "Pet"};

static const char *const odd_fields[] = {"zeta", "Label", "_x", "next"};
static const MType *const odd_types[] = {&mochi_t_bool, &mochi_t_string, &mochi_t_int,
                                         &mochi_t_any};
static const MStructDesc odd = {"Odd", 4, odd_fields, odd_types, NULL};

/* every ref a check makes is kept here and released at the end, so the
 * leak checker sees exactly the runtime's own leaks */
static mref pool[4096];
static int npool;

static mref keep(mref r)
{
    if (npool == (int)(sizeof pool / sizeof pool[0])) {
        fprintf(stderr, "pool full\n");
        exit(2);
    }
    pool[npool++] = r;
    return r;
}

static mref S(const char *s)
{
    return keep(mochi_str_const(s, (int64_t)strlen(s)));
}

static mref I(int64_t v) { return keep(mochi_box_i64(0, v, &mochi_t_int)); }
static mref F(double v) { return keep(mochi_box_f64(0, v, &mochi_t_float)); }
static mref B(bool v) { return keep(mochi_box_bool(0, v, &mochi_t_bool)); }

/* print "tag value" with value as a top-level print argument */
static void P(const char *tag, mref v)
{
    mref args[2];
    args[0] = S(tag);
    args[1] = v;
    mochi_print(0, 2, args);
}

static void PI(const char *tag, int64_t v) { P(tag, I(v)); }
static void PF(const char *tag, double v) { P(tag, F(v)); }
static void PB(const char *tag, bool v) { P(tag, B(v)); }
static void PSTR(const char *tag, mref v) { P(tag, keep(mochi_str_from_any(0, v))); }

static mref list_any(int n, ...)
{
    mref l = keep(mochi_list_new(0, &mochi_t_any));
    va_list ap;
    int i;
    va_start(ap, n);
    for (i = 0; i < n; i++)
        mochi_list_push_ref(0, l, va_arg(ap, mref));
    va_end(ap);
    return l;
}

static mref list_int(int n, ...)
{
    mref l = keep(mochi_list_new(0, &mochi_t_int));
    va_list ap;
    int i;
    va_start(ap, n);
    for (i = 0; i < n; i++)
        mochi_list_push_i64(0, l, va_arg(ap, int64_t));
    va_end(ap);
    return l;
}

static mref list_str(int n, ...)
{
    mref l = keep(mochi_list_new(0, &mochi_t_string));
    va_list ap;
    int i;
    va_start(ap, n);
    for (i = 0; i < n; i++)
        mochi_list_push_ref(0, l, S(va_arg(ap, const char *)));
    va_end(ap);
    return l;
}

static mref new_pet(const char *name, int64_t age, double weight)
{
    MStruct *p = (MStruct *)keep(mochi_struct_new(0, &pet));
    p->f[0].r = S(name); /* immortal: no retain needed, but do it as emitted code would */
    mochi_retain(p->f[0].r);
    p->f[1].i = age;
    p->f[2].f = weight;
    return &p->h;
}

static int64_t add_one(MClosure *env, int64_t x)
{
    (void)env;
    return x + 1;
}

/* ------------------------------------------------------------------ floats */

static int floats(void)
{
    char line[64], buf[512];
    while (fgets(line, sizeof line, stdin) != NULL) {
        uint64_t bits = strtoull(line, NULL, 16);
        double f;
        mref box;
        memcpy(&f, &bits, sizeof f);
        mochi_format_float(f, buf, sizeof buf);
        fputs(buf, stdout);
        putchar('\t');
        mochi_format_float_container(f, buf, sizeof buf);
        fputs(buf, stdout);
        putchar('\t');
        box = mochi_box_f64(0, f, &mochi_t_float);
        mochi_json(0, box); /* writes the newline */
        mochi_release(box);
    }
    return 0;
}

static int exps(void)
{
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        uint64_t bits = strtoull(line, NULL, 16);
        double f;
        memcpy(&f, &bits, sizeof f);
        f = mochi_exp(f);
        memcpy(&bits, &f, sizeof bits);
        printf("%016" PRIx64 "\n", bits);
    }
    return 0;
}

/* ------------------------------------------------------------------ bignums */

static double bits_f64(const char *hex)
{
    uint64_t bits = strtoull(hex, NULL, 16);
    double f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void print_bits(double f)
{
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    printf("%016" PRIx64 "\n", bits);
}

static void print_text(mref v)
{
    mref s = mochi_str_from_any(0, v);
    printf("%s\n", ((MStr *)s)->data);
    mochi_release(s);
}

/* one case: operation op on the texts a and b */
static void bignum(const char *op, mref a, mref b)
{
    mref x = NULL, y = NULL, r = NULL;
    if (op[0] == 'r' && strcmp(op, "rem") != 0) { /* bigrat operands */
        x = mochi_rat_from_str(0, a);
        if (strcmp(op, "rf64") == 0)
            print_bits(mochi_rat_to_f64(0, x));
        else if (strcmp(op, "rnum") == 0)
            r = mochi_rat_num(0, x);
        else if (strcmp(op, "rden") == 0)
            r = mochi_rat_denom(0, x);
        else if (strcmp(op, "rbig") == 0)
            r = mochi_rat_to_big(0, x);
        else if (strcmp(op, "rstr") == 0)
            r = mochi_rat_neg(0, x);
        else {
            y = mochi_rat_from_str(0, b);
            if (strcmp(op, "radd") == 0)
                r = mochi_rat_add(0, x, y);
            else if (strcmp(op, "rsub") == 0)
                r = mochi_rat_sub(0, x, y);
            else if (strcmp(op, "rmul") == 0)
                r = mochi_rat_mul(0, x, y);
            else if (strcmp(op, "rdiv") == 0)
                r = mochi_rat_div(0, x, y);
            else
                printf("%d\n", mochi_lt_rat(0, x, y) ? -1 : mochi_eq_rat(0, x, y) ? 0 : 1);
        }
    } else if (strcmp(op, "fbig") == 0) {
        r = mochi_big_from_f64(0, bits_f64(((MStr *)a)->data));
    } else if (strcmp(op, "frat") == 0) {
        r = mochi_rat_from_f64(0, bits_f64(((MStr *)a)->data));
    } else {
        x = mochi_big_from_str(0, a);
        if (strcmp(op, "f64") == 0) {
            print_bits(mochi_big_to_f64(0, x));
        } else if (strcmp(op, "pow") == 0) {
            r = mochi_big_pow(0, x, mochi_str_to_int(0, b));
        } else if (strcmp(op, "neg") == 0) {
            r = mochi_big_neg(0, x);
        } else {
            y = mochi_big_from_str(0, b);
            if (strcmp(op, "add") == 0)
                r = mochi_big_add(0, x, y);
            else if (strcmp(op, "sub") == 0)
                r = mochi_big_sub(0, x, y);
            else if (strcmp(op, "mul") == 0)
                r = mochi_big_mul(0, x, y);
            else if (strcmp(op, "div") == 0)
                r = mochi_big_div(0, x, y);
            else if (strcmp(op, "rem") == 0)
                r = mochi_big_rem(0, x, y);
            else
                printf("%d\n", mochi_lt_big(0, x, y) ? -1 : mochi_eq_big(0, x, y) ? 0 :
                                mochi_gt_big(0, x, y) ? 1 : 9);
        }
    }
    if (r != NULL)
        print_text(r);
    mochi_release(x);
    mochi_release(y);
    mochi_release(r);
}

static int bignums(void)
{
    mref count = mochi_input(0);
    int64_t n = mochi_str_to_int(0, count), i;
    mochi_release(count);
    for (i = 0; i < n; i++) {
        mref op = mochi_input(0), a = mochi_input(0), b = mochi_input(0);
        bignum(((MStr *)op)->data, a, b);
        mochi_release(op);
        mochi_release(a);
        mochi_release(b);
    }
    return 0;
}

/* ------------------------------------------------------------------ text */

/* for each line read with input(): upper, lower, trim, quoted, json */
static int text(void)
{
    mref count = mochi_input(0);
    int64_t n = mochi_str_to_int(0, count), i;
    mochi_release(count);
    for (i = 0; i < n; i++) {
        mref s = mochi_input(0), up = mochi_str_upper(0, s), low = mochi_str_lower(0, s);
        mref trim = mochi_str_trim(0, s), list = mochi_list_new(0, &mochi_t_string);
        mref args[4];
        args[0] = up;
        args[1] = low;
        args[2] = trim;
        args[3] = list;
        mochi_list_push_ref(0, list, s);
        mochi_print(0, 4, args);
        mochi_json(0, s);
        mochi_release(s);
        mochi_release(up);
        mochi_release(low);
        mochi_release(trim);
        mochi_release(list);
    }
    return 0;
}

/* ------------------------------------------------------------------ checks */

static void printing(void)
{
    mref m = keep(mochi_map_new(0, &mochi_t_string, &mochi_t_int));
    mref xs = list_any(7, I(1), S("two"), F(3.0), B(true), list_int(2, (int64_t)4, (int64_t)5),
                       m, NULL);
    mref ints = keep(mochi_map_new(0, &mochi_t_int, &mochi_t_int));
    mref keys = keep(mochi_map_new(0, &mochi_t_string, &mochi_t_int));
    mref fl = keep(mochi_map_new(0, &mochi_t_float, &mochi_t_bool));
    mref mixed = keep(mochi_map_new(0, &mochi_t_any, &mochi_t_string));
    mref p = new_pet("rex", 3, 12.0);
    MStruct *o = (MStruct *)keep(mochi_struct_new(0, &odd));
    mref quotes = list_str(9, "q\"uote", "new\nline", "tab\t", "\x01\x7f", "\xc3\xa9",
                           "\xc2\xa0nbsp", "\xf0\x9f\x98\x80", "zw\xe2\x80\x8b", "<&>\\");
    mref floats = keep(mochi_list_new(0, &mochi_t_float));
    mref clo = keep(mochi_closure_new(0, (void *)add_one, 0, NULL));
    mref cyc = list_any(1, I(1));
    const char *names[] = {"b", "a", "B", "aa", "1", ""};
    int64_t ints_keys[] = {100, 20, 3, -1};
    double fs[] = {2.0, 0.575, 1e21, 1e-7, -0.0, 123456789.0, 1e6};
    int i;

    mochi_map_set_ref_i64(0, m, S("six"), 6);
    P("list", xs);
    PSTR("list.str", xs);
    P("list.json", S("below"));
    mochi_json(0, xs);
    for (i = 0; i < 6; i++)
        mochi_map_set_ref_i64(0, keys, S(names[i]), i);
    P("keys", keys);
    for (i = 0; i < 4; i++)
        mochi_map_set_i64_i64(0, ints, ints_keys[i], ints_keys[i] * 2);
    P("intkeys", ints);
    PSTR("intkeys.str", ints);
    mochi_map_set_f64_bool(0, fl, 2.0, true);
    mochi_map_set_f64_bool(0, fl, 10.5, false);
    P("floatkeys", fl);
    mochi_map_set_ref_ref(0, mixed, I(1), S("int"));
    mochi_map_set_ref_ref(0, mixed, S("1"), S("str"));
    mochi_map_set_ref_ref(0, mixed, F(2.5), S("float"));
    mochi_map_set_ref_ref(0, mixed, B(true), S("true is 1"));
    mochi_map_set_ref_ref(0, mixed, F(1.0), S("1.0 is 1"));
    P("mixedkeys", mixed);
    P("pet", p);
    PSTR("pet.str", p);
    P("pets", list_any(2, p, p));
    mochi_json(0, p);
    o->f[0].b = true;
    o->f[1].r = S("L");
    o->f[2].i = -5;
    o->f[3].r = NULL;
    P("odd", &o->h);
    PSTR("odd.str", &o->h);
    P("quotes", quotes);
    PSTR("quotes.str", quotes);
    mochi_json(0, quotes);
    for (i = 0; i < 7; i++)
        mochi_list_push_f64(0, floats, fs[i]);
    P("floats", floats);
    PSTR("floats.str", floats);
    mochi_json(0, floats);
    mochi_list_push_f64(0, floats, NAN);
    P("nan", floats);
    P("nan.json", S("below"));
    mochi_json(0, floats); /* Go's encoder fails: an empty line */
    P("fun", clo);
    P("funs", list_any(2, clo, NULL));
    PSTR("funs.str", list_any(1, clo));
    mochi_list_push_ref(0, cyc, cyc);
    P("cycle", cyc);
    PSTR("cycle.str", cyc);
    mochi_json(0, cyc);
    mochi_list_set_ref(0, cyc, 1, NULL); /* break the cycle so it can be freed */
    P("empty", list_any(2, keep(mochi_list_new(0, &mochi_t_int)),
                        keep(mochi_map_new(0, &mochi_t_string, &mochi_t_int))));
    mochi_json(0, list_any(2, keep(mochi_list_new(0, &mochi_t_int)),
                           keep(mochi_map_new(0, &mochi_t_string, &mochi_t_int))));
    {
        mref args[4];
        args[0] = I(1);
        args[1] = S("a");
        args[2] = F(1e6);
        args[3] = NULL;
        mochi_print(0, 4, args);
    }
    PSTR("none.str", NULL);
}

/* s = s + t as emitted code does it: the old reference is dropped after the call */
static mref append_to(mref s, mref t)
{
    mref r = mochi_str_append(0, s, t);
    mochi_release(s);
    return r;
}

static void appends(void)
{
    mref b = mochi_str_concat(0, S("h"), S("\xc3\xa9")), before, shared; /* rc 1 */
    int i;
    for (i = 0; i < 40; i++)
        b = append_to(b, i % 3 ? S("\xe2\x82\xac") : S("a")); /* € or a */
    PI("append-len", mochi_str_len(0, b));
    P("append", b);
    before = b;
    b = append_to(b, S("z"));
    PB("append-in-place", b == before); /* unshared, with room */
    shared = b;
    mochi_retain(shared);
    b = append_to(b, S("!"));
    PB("append-copied", b != shared); /* shared: the other holder sees no change */
    P("append-shared", keep(shared));
    b = append_to(b, b);
    PI("append-self-len", mochi_str_len(0, b));
    P("append-self", keep(b));
    P("append-empty", keep(append_to(append_to(S(""), S("")), S("\xc3\xa9"))));
}

static void strings(void)
{
    mref s = S("h\xc3\xa9llo w\xc3\xb6rld"), cafe = S("na\xc3\xafve caf\xc3\xa9");
    mref jp = S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"); /* 日本語 */
    PI("len", mochi_str_len(0, s));
    P("idx1", keep(mochi_str_index(0, s, 1)));
    P("idx-1", keep(mochi_str_index(0, s, -1)));
    P("idx7", keep(mochi_str_index(0, s, 7)));
    P("slice", keep(mochi_str_slice(0, cafe, 0, 5)));
    P("slice-4", keep(mochi_str_slice(0, cafe, -4, mochi_str_len(0, cafe))));
    P("clamp", keep(mochi_str_slice(0, cafe, -100, 100)));
    P("empty", keep(mochi_str_slice(0, cafe, 5, 2)));
    P("substr", keep(mochi_str_substring(0, jp, 1, 3)));
    PB("contains", mochi_str_contains(0, jp, S("\xe8\xaa\x9e")));
    PI("indexof", mochi_str_index_of(0, jp, S("\xe8\xaa\x9e")));
    PI("indexof-no", mochi_str_index_of(0, jp, S("x")));
    P("upper", keep(mochi_str_upper(0, S("abc \xc3\xa0\xc3\xa9\xc3\xae stra\xc3\x9f" "e "
                                          "\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xef\xac\x81"))));
    P("lower", keep(mochi_str_lower(0, S("ABC \xc3\x80\xc3\x89\xc3\x8e "
                                          "\xce\x9f\xce\x94\xce\x9f\xce\xa3 "
                                          "\xce\xa3\xce\x91 \xc4\xb0"))));
    P("trim", keep(mochi_str_trim(0, S("\xe3\x80\x80 \t x y \n\xc2\xa0"))));
    P("split", keep(mochi_str_split(0, S("a,b,,c,"), S(","))));
    P("split-chars", keep(mochi_str_split(0, jp, S(""))));
    P("split-multi", keep(mochi_str_split(0, S("a<>b<><>c"), S("<>"))));
    P("join", keep(mochi_str_join(0, list_any(4, I(1), S("a"), F(2.5), NULL), S("-"))));
    P("repeat", keep(mochi_str_repeat(0, S("ab"), 3)));
    P("repeat0", keep(mochi_str_repeat(0, S("ab"), -2)));
    P("pad", keep(mochi_str_pad_start(0, S("\xc3\xa9"), 3, S("\xc2\xb7"))));
    P("pad0", keep(mochi_str_pad_start(0, S("5"), 3, S("0"))));
    P("padcut", keep(mochi_str_pad_start(0, S("x"), 6, S("ab"))));
    P("padnone", keep(mochi_str_pad_start(0, S("abc"), 2, S("x"))));
    P("reverse", keep(mochi_str_reverse(0, jp)));
    PI("ord", mochi_str_ord(0, S("\xe2\x82\xac")));
    P("chr", keep(mochi_str_chr(0, 128512)));
    PI("toint", mochi_str_to_int(0, S(" 42 ")));
    PI("toint_", mochi_str_to_int(0, S("-1_000")));
    PI("toint-max", mochi_str_to_int(0, S("9223372036854775807")));
    PI("toint-min", mochi_str_to_int(0, S("-9223372036854775808")));
    PI("hex", mochi_str_parse_int(0, S("ff"), 16));
    PI("hex0x", mochi_str_parse_int(0, S("0x1F"), 16));
    PI("base0", mochi_str_parse_int(0, S("0b101"), 0));
    PI("bad", mochi_str_parse_int(0, S("z"), 10));
    PF("tofloat", mochi_str_to_float(0, S(" 1_000.5 ")));
    PF("tofloat-e", mochi_str_to_float(0, S("2.5e-3")));
    PF("tofloat-inf", mochi_str_to_float(0, S("-Infinity")));
    PB("starts", mochi_str_starts_with(0, s, S("h\xc3\xa9")));
    PB("ends", mochi_str_ends_with(0, s, S("rld")));
    PB("cmp", mochi_gt_str(0, S("\xc3\xa9"), S("e")));
    PB("cmp-prefix", mochi_lt_str(0, S("ab"), S("abc")));
    P("concat", keep(mochi_str_concat(0, s, S("!"))));
    appends();
    P("fromf", keep(mochi_str_from_f64(0, 1234567.0)));
    P("fromi", keep(mochi_str_from_i64(0, INT64_MIN)));
    P("fromb", keep(mochi_str_from_bool(0, false)));
}

static void lists(void)
{
    mref xs = keep(mochi_list_new(0, &mochi_t_int)), ys, zs, shared, fl, mixed, keys;
    mref before;
    int i;
    for (i = 0; i < 3; i++)
        mochi_list_push_i64(0, xs, i);
    /* xs = append(xs, 3) with xs unshared: in place */
    before = xs;
    ys = mochi_list_append_i64(0, xs, 3, 1);
    PB("reuse-same", ys == before);
    mochi_release(ys); /* the register's old value dies */
    PI("reuse-rc", xs->rc);
    /* a shared list is copied */
    mochi_retain(xs);
    shared = mochi_list_append_i64(0, xs, 4, 1);
    PB("shared-copied", shared != xs);
    mochi_release(xs);
    keep(shared);
    P("shared-orig", xs);
    P("shared-new", shared);
    zs = keep(mochi_list_append_i64(0, xs, 9, 0)); /* without reuse: always a copy */
    PB("noreuse-copied", zs != xs);
    PI("get-neg", mochi_list_get_i64(0, xs, -1));
    P("slice", keep(mochi_list_slice(0, xs, -3, 100)));
    P("slice-empty", keep(mochi_list_slice(0, xs, 3, 1)));
    P("reverse", keep(mochi_list_reverse(0, xs)));
    fl = keep(mochi_list_new(0, &mochi_t_float));
    mochi_list_push_f64(0, fl, 2.5);
    P("concat-mixed", keep(mochi_list_concat(0, xs, fl)));
    /* a string stored through a list<any> view of a list<int> widens it */
    mixed = keep(mochi_conv(0, xs, &t_list_int, &t_list_any));
    PB("conv-same", mixed == xs);
    mochi_list_set_ref(0, mixed, 0, S("zero"));
    P("widened", xs);
    PI("widened-get", mochi_list_get_i64(0, xs, 1));
    PI("inline-widened", mochi_list_get_i64_inline(0, xs, 2));
    {
        mref li = list_int(2, (int64_t)5, (int64_t)6), ls = list_str(2, "a", "b");
        mref got;
        mochi_list_set_i64_inline(0, li, 1, 7);
        mochi_list_set_i64_inline(0, li, -2, mochi_list_get_i64_inline(0, li, -1) + 1);
        P("inline-ints", li);
        got = keep(mochi_list_get_ref_inline(0, ls, 1));
        mochi_list_set_ref_inline(0, ls, 0, keep(mochi_str_concat(0, got, got)));
        mochi_list_set_ref_inline(0, ls, 0, keep(mochi_str_concat(0, got, S("!"))));
        P("inline-strs", ls);
        mochi_list_set_f64_inline(0, li, 0, 0.5); /* not float storage: widens */
        P("inline-widen", li);
    }
    P("union", keep(mochi_list_union(0, list_any(3, I(1), B(true), F(1.0)),
                                     list_any(3, I(2), F(2.0), S("a")))));
    P("except", keep(mochi_list_except(0, list_int(4, (int64_t)1, (int64_t)2, (int64_t)3,
                                                   (int64_t)2), list_int(1, (int64_t)3))));
    P("intersect", keep(mochi_list_intersect(0, list_int(3, (int64_t)3, (int64_t)1,
                                                         (int64_t)3),
                                             list_int(2, (int64_t)1, (int64_t)3))));
    P("distinct", keep(mochi_list_distinct(0, list_any(5, I(1), B(true), F(1.0), I(2),
                                                       list_int(1, (int64_t)1)))));
    PB("contains", mochi_list_contains_ref(0, list_any(2, I(1), S("a")), F(1.0)));
    PB("contains-bool", mochi_list_contains_ref(0, list_any(1, I(1)), B(true)));
    PI("indexof", mochi_list_index_of_ref(0, list_str(3, "a", "b", "c"), S("c")));
    keys = list_any(4, S("b"), NULL, S("a"), S("b"));
    P("sort", keep(mochi_list_sort(0, list_str(4, "b1", "none", "a", "b2"), keys)));
    P("sort-nums", keep(mochi_list_sort(0, list_int(3, (int64_t)1, (int64_t)2, (int64_t)3),
                                        list_any(3, F(2.5), I(-1), B(true)))));
    P("min", keep(mochi_list_min(0, list_any(3, I(3), F(1.5), I(2)))));
    P("max", keep(mochi_list_max(0, list_str(3, "a", "c", "b"))));
    P("min-empty", keep(mochi_list_min(0, keep(mochi_list_new(0, &mochi_t_int)))));
    PI("sum", mochi_list_sum_i64(0, list_int(3, INT64_MAX, (int64_t)1, (int64_t)-2)));
    PI("sum-min", mochi_list_sum_i64(0, list_int(3, INT64_MIN, (int64_t)-1, (int64_t)2)));
    PF("sumf", mochi_list_sum_f64(0, fl));
    P("sumany", keep(mochi_list_sum_any(0, list_any(3, I(1), F(0.5), I(2)))));
    PF("avg", mochi_list_avg(0, list_int(3, (int64_t)1, (int64_t)2, (int64_t)4)));
    P("range", keep(mochi_list_range(0, 10, 0, -3)));
    P("range-empty", keep(mochi_list_range(0, 0, 10, -1)));
    P("any-iter", keep(mochi_any_iter(0, S("ab\xc3\xa9"))));
    {
        mref rows = list_str(5, "a1", "b1", "a2", "t", "one");
        mref gkeys = list_any(5, S("a"), S("b"), S("a"), B(true), I(1));
        mref groups = keep(mochi_group_by(0, gkeys, rows, &mochi_t_any, &mochi_t_string));
        int64_t n = mochi_list_len(0, groups), g;
        PI("groups", n);
        for (g = 0; g < n; g++) {
            mref grp = keep(mochi_list_get_ref(0, groups, g));
            P("group-key", keep(mochi_group_key(0, grp)));
            P("group-items", keep(mochi_group_items(0, grp)));
        }
    }
}

static void maps(void)
{
    mref m = keep(mochi_map_new(0, &mochi_t_string, &mochi_t_int)), big, vals;
    int64_t i;
    mochi_map_set_ref_i64(0, m, S("b"), 1);
    mochi_map_set_ref_i64(0, m, S("a"), 2);
    PI("get", mochi_map_get_ref_i64(0, m, S("a"), 0));
    PI("get-absent", mochi_map_get_ref_i64(0, m, S("zz"), 0));
    P("get-absent-ref", keep(mochi_map_get_ref_ref(0, m, S("zz"), NULL)));
    PB("has", mochi_map_has_ref(0, m, S("b")));
    mochi_map_set_ref_i64(0, m, S("a"), mochi_map_get_ref_i64(0, m, S("a"), 0) + 1);
    mochi_map_del_ref(0, m, S("b"));
    mochi_map_del_ref(0, m, S("nope"));
    PB("has-deleted", mochi_map_has_ref(0, m, S("b")));
    mochi_map_set_ref_i64(0, m, S("c"), 7);
    P("after-del", m);
    PI("len", mochi_map_len(0, m));
    P("keys", keep(mochi_map_keys(0, m)));
    P("values", keep(mochi_map_values(0, m)));
    mochi_map_set_ref_ref(0, m, S("s"), S("str")); /* widens the values */
    P("widened", m);
    PI("widened-get", mochi_map_get_ref_i64(0, m, S("c"), 0));
    big = keep(mochi_map_new(0, &mochi_t_int, &mochi_t_int));
    for (i = 0; i < 10000; i++)
        mochi_map_set_i64_i64(0, big, (i * 7919) % 10000, i);
    for (i = 0; i < 10000; i += 2)
        mochi_map_del_i64(0, big, i);
    vals = keep(mochi_map_keys(0, big));
    PI("big-len", mochi_map_len(0, big));
    P("big-first", keep(mochi_list_slice(0, vals, 0, 5)));
    P("big-last", keep(mochi_list_slice(0, vals, -3, mochi_list_len(0, vals))));
    PB("big-has", mochi_map_has_i64(0, big, 9999) && !mochi_map_has_i64(0, big, 9998));
    PB("key-1.0", mochi_map_has_f64(0, big, 9999.0));
    PB("eq", mochi_eq_ref(0, m, m));
    {
        mref bm = keep(mochi_map_new(0, &mochi_t_bool, &mochi_t_string));
        mochi_map_set_bool_ref(0, bm, true, S("yes"));
        mochi_map_set_bool_ref(0, bm, false, S("no"));
        mochi_map_set_i64_ref(0, bm, 1, S("one is true")); /* Python: 1 == True */
        P("boolkeys", bm);
        PB("boolkeys-has", mochi_map_has_bool(0, bm, false) && mochi_map_has_f64(0, bm, 0.0));
    }
    P("field", keep(mochi_any_field(0, m, "c")));
    P("index", keep(mochi_any_index(0, m, S("zz"))));
}

static void dynamic(void)
{
    mref p = new_pet("rex", 3, 12.0);
    P("add", keep(mochi_any_binop(0, I(2), I(3), "+")));
    P("addf", keep(mochi_any_binop(0, I(2), F(0.5), "+")));
    P("div", keep(mochi_any_binop(0, I(-7), I(2), "/")));
    P("rem", keep(mochi_any_binop(0, I(-7), I(2), "%")));
    P("remf", keep(mochi_any_binop(0, F(-7.5), I(2), "%")));
    P("divf0", keep(mochi_any_binop(0, F(-1.0), I(0), "/")));
    P("strcat", keep(mochi_any_binop(0, S("a"), F(1.5), "+")));
    P("listcat", keep(mochi_any_binop(0, list_int(1, (int64_t)1), list_any(1, S("x")), "+")));
    P("abs", keep(mochi_any_binop(0, I(INT64_MIN + 1), I(0), "abs")));
    P("neg", keep(mochi_any_neg(0, F(0.0))));
    PB("eq-1-1.0", mochi_eq_any(0, I(1), F(1.0)));
    PB("eq-true-1", mochi_eq_any(0, B(true), I(1)));
    PB("eq-nested", mochi_eq_any(0, list_any(1, B(true)), list_int(1, (int64_t)1)));
    PB("eq-big", mochi_eq_any(0, I(9007199254740993), F(9007199254740992.0)));
    PB("lt-none", mochi_lt_any(0, NULL, I(-5)));
    PB("lt-list", mochi_lt_any(0, list_int(2, (int64_t)1, (int64_t)2),
                               list_int(2, (int64_t)1, (int64_t)3)));
    PB("lt-mixed", mochi_lt_any(0, F(2.5), I(3)));
    PB("eq-struct", mochi_eq_ref(0, p, new_pet("rex", 3, 12.0)));
    PB("ne-struct", mochi_ne_ref(0, p, new_pet("rex", 4, 12.0)));
    PI("toint", mochi_any_to_int(0, F(-3.9)));
    PI("toint-str", mochi_any_to_int(0, S("12")));
    PF("tofloat", mochi_any_to_float(0, B(true)));
    P("field", keep(mochi_any_field(0, p, "weight")));
    mochi_any_set_index(0, p, S("age"), I(4));
    P("set-field", p);
    PI("len", mochi_any_len(0, S("\xc3\xa9t\xc3\xa9")));
    PB("in", mochi_any_contains(0, S("team"), S("ea")));
    PB("truthy", mochi_any_truthy(0, B(true)));
    PI("div", mochi_div_i64(0, -7, 2));
    PI("rem", mochi_rem_i64(0, -7, 2));
    PI("div-min", mochi_div_i64(0, INT64_MIN, 1));
    PI("rem-min", mochi_rem_i64(0, INT64_MIN, -1));
    PI("f2i-min", mochi_f2i(0, -9223372036854775808.0));
    PI("f2i", mochi_f2i(0, -3.9));
    PI("pow", mochi_pow_i64(0, -3, 39));
    PI("pow-neg", mochi_pow_i64(0, 7, -2));
    PI("add-edge", mochi_add_i64(0, INT64_MAX, INT64_MIN));
    PI("mul-edge", mochi_mul_i64(0, -4611686018427387904, 2));
    PI("unbox-none", mochi_unbox_i64(0, NULL, &mochi_t_int));
    PF("unbox-int-as-float", mochi_unbox_f64(0, I(2), &mochi_t_float));
    P("unbox-none-str", keep(mochi_unbox_ref(0, NULL, &mochi_t_string)));
    P("from-map", keep(mochi_unbox_ref(0, keep(mochi_map_new(0, &mochi_t_string,
                                                                &mochi_t_any)), &t_pet)));
    {
        mref fn = keep(mochi_closure_new(0, (void *)add_one, 0, NULL));
        MClosure *c = (MClosure *)fn;
        PI("closure", ((int64_t(*)(MClosure *, int64_t))c->fn)(c, 41));
    }
    {
        mref cell = keep(mochi_cell_new(0, &t_list_str));
        ((MCell *)cell)->v.r = mochi_list_new(0, &mochi_t_string);
        PI("cell", mochi_list_len(0, ((MCell *)cell)->v.r));
    }
    PF("sqrt-neg", mochi_math_f64("sqrt", -1.0));
    PF("floor-neg0", mochi_math_f64("floor", -0.0));
    PF("ceil", mochi_math_f64("ceil", -0.5));
    PF("floor-inf", mochi_math_f64("floor", -INFINITY));
    PF("log2-0", mochi_math_f64("log2", 0.0));
    PF("log-0", mochi_math_f64("log", 0.0));
    PF("sinh-ovf", mochi_math_f64("sinh", -1000.0));
    PF("pow", mochi_math2_f64("pow", 2.0, 10.0));
    PF("pow-0-neg", mochi_math2_f64("pow", -0.0, -1.0));
    PF("round", mochi_round(-2.5));
    PF("round-half", mochi_round(0.49999999999999994));
    PI("now", mochi_now(0));
    PI("now2", mochi_now(0));
}

static int checks(void)
{
    int i;
    printing();
    strings();
    lists();
    maps();
    dynamic();
    for (i = npool - 1; i >= 0; i--)
        mochi_release(pool[i]);
    return 0;
}

/* ------------------------------------------------------------------ churn */

static mref a, b; /* string constants live in statics, as emitted code keeps them */

static int churn(long n)
{
    long i;
    a = mochi_str_const("ab", 2);
    b = mochi_str_const("\xc3\xa9", 2);
    for (i = 0; i < n; i++) {
        mref l = mochi_list_new(0, &mochi_t_string), s, m, p, t;
        int k;
        for (k = 0; k < 8; k++) {
            s = mochi_str_concat(0, k % 2 ? a : b, a);
            mochi_list_push_ref(0, l, s);
            mochi_release(s);
        }
        l = (t = mochi_list_append_ref(0, l, a, 1), mochi_release(l), t);
        m = mochi_map_new(0, &mochi_t_string, &mochi_t_any);
        mochi_map_set_ref_ref(0, m, b, l);
        mochi_map_set_ref_ref(0, m, a, l);
        p = mochi_struct_new(0, &pet);
        ((MStruct *)p)->f[0].r = mochi_str_from_i64(0, (int64_t)i);
        t = mochi_list_new(0, &mochi_t_any);
        mochi_list_push_ref(0, t, p);
        mochi_list_push_ref(0, t, m);
        s = mochi_str_from_any(0, t);
        mochi_release(s);
        mochi_release(t);
        mochi_release(p);
        mochi_release(m);
        mochi_release(l);
    }
    {
        /* a long chain freed at once must not recurse */
        mref head = NULL;
        for (i = 0; i < 1000000; i++) {
            mref node = mochi_list_new(0, &mochi_t_any);
            mochi_list_push_ref(0, node, head);
            mochi_release(head);
            head = node;
        }
        mochi_release(head);
    }
    puts("churned");
    return 0;
}

/* ------------------------------------------------------------------ errors */

static int error(const char *name)
{
    mref xs = mochi_list_new(7, &mochi_t_int);
    mochi_list_push_i64(7, xs, 1);
    printf("before the error\n");
    if (strcmp(name, "index") == 0)
        mochi_list_get_i64(3, xs, 5);
    else if (strcmp(name, "negative") == 0)
        mochi_list_set_i64(4, xs, -2, 0);
    else if (strcmp(name, "string") == 0)
        mochi_str_index(5, mochi_str_const("\xc3\xa9t\xc3\xa9", 5), -4);
    else if (strcmp(name, "div") == 0)
        mochi_div_i64(6, 1, 0);
    else if (strcmp(name, "rem") == 0)
        mochi_rem_i64(6, 1, 0);
    else if (strcmp(name, "cast") == 0)
        mochi_unbox_i64(8, mochi_str_const("x", 1), &mochi_t_int);
    else if (strcmp(name, "castref") == 0)
        mochi_unbox_ref(8, mochi_box_bool(8, true, &mochi_t_bool), &mochi_t_string);
    else if (strcmp(name, "parse") == 0)
        mochi_str_to_int(9, mochi_str_const("12x", 3));
    else if (strcmp(name, "expect") == 0)
        mochi_expect(10, false, false);
    else if (strcmp(name, "panic") == 0)
        mochi_panic(11, mochi_str_const("n is too large: 3", 17));
    else if (strcmp(name, "nil") == 0)
        mochi_list_len(12, NULL);
    else if (strcmp(name, "range") == 0)
        mochi_list_range(13, 0, 10, 0);
    else if (strcmp(name, "compare") == 0)
        mochi_lt_any(14, mochi_str_const("a", 1), mochi_box_i64(14, 1, &mochi_t_int));
    else if (strcmp(name, "binop") == 0)
        mochi_any_binop(15, mochi_box_bool(15, true, &mochi_t_bool),
                        mochi_box_i64(15, 1, &mochi_t_int), "+");
    else if (strcmp(name, "field") == 0)
        mochi_any_field(16, mochi_struct_new(16, &pet), "owner");
    else if (strcmp(name, "ord") == 0)
        mochi_str_ord(17, mochi_str_const("ab", 2));
    else if (strcmp(name, "add") == 0)
        mochi_add_i64(18, INT64_MAX, 1);
    else if (strcmp(name, "sub") == 0)
        mochi_sub_i64(18, INT64_MIN, 1);
    else if (strcmp(name, "mul") == 0)
        mochi_mul_i64(18, 3037000500, 3037000500);
    else if (strcmp(name, "neg") == 0)
        mochi_neg_i64(18, INT64_MIN);
    else if (strcmp(name, "divmin") == 0)
        mochi_div_i64(18, INT64_MIN, -1);
    else if (strcmp(name, "f2i") == 0)
        mochi_f2i(18, NAN);
    else if (strcmp(name, "pow") == 0)
        mochi_pow_i64(18, 3, 40);
    else if (strcmp(name, "toint") == 0)
        mochi_str_to_int(18, mochi_str_const("9223372036854775808", 19));
    else if (strcmp(name, "sum") == 0) {
        mref big = mochi_list_new(18, &mochi_t_int);
        mochi_list_push_i64(18, big, INT64_MAX);
        mochi_list_push_i64(18, big, 1);
        mochi_list_sum_i64(18, big);
    }
    printf("no error\n");
    return 0;
}

int main(int argc, char **argv)
{
    mochi_init("t.mochi", argc, argv);
    if (argc >= 2 && strcmp(argv[1], "floats") == 0)
        return floats();
    if (argc >= 2 && strcmp(argv[1], "exp") == 0)
        return exps();
    if (argc >= 2 && strcmp(argv[1], "checks") == 0)
        return checks();
    if (argc >= 2 && strcmp(argv[1], "text") == 0)
        return text();
    if (argc >= 2 && strcmp(argv[1], "bignums") == 0)
        return bignums();
    if (argc >= 3 && strcmp(argv[1], "churn") == 0)
        return churn(atol(argv[2]));
    if (argc >= 3 && strcmp(argv[1], "error") == 0)
        return error(argv[2]);
    fprintf(stderr, "usage: runtime_test floats|exp|checks|text|churn N|error NAME\n");
    return 2;
}

/* nbody: the Jovian planets integrated for N steps of 0.01 days
   (symplectic Euler, as in the Computer Language Benchmarks Game).
   Stresses float arithmetic, sqrt and struct field updates. The
   checksum is the final energy times 1e9, truncated toward zero. */
#include <math.h>
#include <stdio.h>

#define N 17000000

#define NBODIES 5

struct body {
    double x, y, z, vx, vy, vz, mass;
};

static const double PI = 3.141592653589793;
static const double DAYS_PER_YEAR = 365.24;

static void advance(struct body *bodies, double dt) {
    for (int i = 0; i < NBODIES; i++) {
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = bodies[i].x - bodies[j].x;
            double dy = bodies[i].y - bodies[j].y;
            double dz = bodies[i].z - bodies[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            double mi = bodies[i].mass * mag;
            double mj = bodies[j].mass * mag;
            bodies[i].vx = bodies[i].vx - dx * mj;
            bodies[i].vy = bodies[i].vy - dy * mj;
            bodies[i].vz = bodies[i].vz - dz * mj;
            bodies[j].vx = bodies[j].vx + dx * mi;
            bodies[j].vy = bodies[j].vy + dy * mi;
            bodies[j].vz = bodies[j].vz + dz * mi;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        bodies[i].x = bodies[i].x + dt * bodies[i].vx;
        bodies[i].y = bodies[i].y + dt * bodies[i].vy;
        bodies[i].z = bodies[i].z + dt * bodies[i].vz;
    }
}

static double energy(const struct body *bodies) {
    double e = 0.0;
    for (int i = 0; i < NBODIES; i++) {
        const struct body *b = &bodies[i];
        e = e + 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b->x - bodies[j].x;
            double dy = b->y - bodies[j].y;
            double dz = b->z - bodies[j].z;
            e = e - b->mass * bodies[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

int main(void) {
    const double solar_mass = 4.0 * PI * PI;
    struct body bodies[NBODIES] = {
        /* sun */
        {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, solar_mass},
        /* jupiter */
        {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
         -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * solar_mass},
        /* saturn */
        {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
         2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * solar_mass},
        /* uranus */
        {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
         -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * solar_mass},
        /* neptune */
        {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
         -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * solar_mass},
    };
    /* offset the sun's momentum */
    double px = 0.0, py = 0.0, pz = 0.0;
    for (int i = 0; i < NBODIES; i++) {
        px = px + bodies[i].vx * bodies[i].mass;
        py = py + bodies[i].vy * bodies[i].mass;
        pz = pz + bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / solar_mass;
    bodies[0].vy = -py / solar_mass;
    bodies[0].vz = -pz / solar_mass;

    for (long long step = 0; step < N; step++) {
        advance(bodies, 0.01);
    }
    double e = energy(bodies);
    printf("%lld\n", (long long)(e * 1e9));
    return 0;
}

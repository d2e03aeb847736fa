//go:build ignore

// nbody: the Jovian planets integrated for N steps of 0.01 days
// (symplectic Euler, as in the Computer Language Benchmarks Game).
// Stresses float arithmetic, sqrt and struct field updates. The
// checksum is the final energy times 1e9, truncated toward zero.
//
// Go may fuse x*y + z into one multiply-add, which rounds once and so
// changes the result; an explicit float64(...) conversion of a product
// forbids that (Go spec, "Arithmetic operators"), so every product
// that is added to something is wrapped in one.
package main

import (
	"fmt"
	"math"
)

const N = 17000000

const (
	PI          = 3.141592653589793
	SolarMass   = 4.0 * PI * PI
	DaysPerYear = 365.24
)

type Body struct {
	x, y, z, vx, vy, vz, mass float64
}

func advance(bodies []Body, dt float64) {
	nb := len(bodies)
	for i := 0; i < nb; i++ {
		bi := &bodies[i]
		for j := i + 1; j < nb; j++ {
			bj := &bodies[j]
			dx := bi.x - bj.x
			dy := bi.y - bj.y
			dz := bi.z - bj.z
			d2 := float64(float64(dx*dx)+float64(dy*dy)) + float64(dz*dz)
			mag := dt / (d2 * math.Sqrt(d2))
			mi := bi.mass * mag
			mj := bj.mass * mag
			bi.vx = bi.vx - float64(dx*mj)
			bi.vy = bi.vy - float64(dy*mj)
			bi.vz = bi.vz - float64(dz*mj)
			bj.vx = bj.vx + float64(dx*mi)
			bj.vy = bj.vy + float64(dy*mi)
			bj.vz = bj.vz + float64(dz*mi)
		}
	}
	for i := 0; i < nb; i++ {
		b := &bodies[i]
		b.x = b.x + float64(dt*b.vx)
		b.y = b.y + float64(dt*b.vy)
		b.z = b.z + float64(dt*b.vz)
	}
}

func energy(bodies []Body) float64 {
	e := 0.0
	nb := len(bodies)
	for i := 0; i < nb; i++ {
		b := &bodies[i]
		v2 := float64(float64(b.vx*b.vx)+float64(b.vy*b.vy)) + float64(b.vz*b.vz)
		e = e + float64(0.5*b.mass*v2)
		for j := i + 1; j < nb; j++ {
			bj := &bodies[j]
			dx := b.x - bj.x
			dy := b.y - bj.y
			dz := b.z - bj.z
			d := math.Sqrt(float64(float64(dx*dx)+float64(dy*dy)) + float64(dz*dz))
			e = e - float64(b.mass*bj.mass)/d
		}
	}
	return e
}

func main() {
	bodies := []Body{
		// sun
		{0.0, 0.0, 0.0, 0.0, 0.0, 0.0, SolarMass},
		// jupiter
		{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
			1.66007664274403694e-03 * DaysPerYear, 7.69901118419740425e-03 * DaysPerYear,
			-6.90460016972063023e-05 * DaysPerYear, 9.54791938424326609e-04 * SolarMass},
		// saturn
		{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
			-2.76742510726862411e-03 * DaysPerYear, 4.99852801234917238e-03 * DaysPerYear,
			2.30417297573763929e-05 * DaysPerYear, 2.85885980666130812e-04 * SolarMass},
		// uranus
		{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
			2.96460137564761618e-03 * DaysPerYear, 2.37847173959480950e-03 * DaysPerYear,
			-2.96589568540237556e-05 * DaysPerYear, 4.36624404335156298e-05 * SolarMass},
		// neptune
		{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
			2.68067772490389322e-03 * DaysPerYear, 1.62824170038242295e-03 * DaysPerYear,
			-9.51592254519715870e-05 * DaysPerYear, 5.15138902046611451e-05 * SolarMass},
	}
	// offset the sun's momentum
	px, py, pz := 0.0, 0.0, 0.0
	for i := range bodies {
		b := &bodies[i]
		px = px + float64(b.vx*b.mass)
		py = py + float64(b.vy*b.mass)
		pz = pz + float64(b.vz*b.mass)
	}
	bodies[0].vx = -px / SolarMass
	bodies[0].vy = -py / SolarMass
	bodies[0].vz = -pz / SolarMass

	for step := int64(0); step < N; step++ {
		advance(bodies, 0.01)
	}
	e := energy(bodies)
	fmt.Println(int64(e * 1e9))
}

package stats

import "math"

// studentTwoSided is P(|T| >= t) for Student's t distribution with df degrees of freedom (df
// need not be an integer: Welch's test gives fractional ones). It is the regularized incomplete
// beta function I_x(df/2, 1/2) at x = df/(df+t²), the textbook identity.
func studentTwoSided(t, df float64) float64 {
	switch {
	case math.IsNaN(t) || math.IsNaN(df) || df <= 0:
		return math.NaN()
	case math.IsInf(t, 0):
		return 0
	}
	return regIncBeta(df/2, 0.5, df/(df+t*t))
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), from its continued
// fraction evaluated by the modified Lentz method, on the side of x where it converges fast
// (the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) covers the other). Accurate to about 1e-14
// relative, far below anything a p-value threshold can tell apart.
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaFraction(a, b, x) / a
	}
	return 1 - front*betaFraction(b, a, 1-x)/b
}

// betaFraction is the continued fraction of the incomplete beta function (Abramowitz and
// Stegun 26.5.8), by the modified Lentz method.
func betaFraction(a, b, x float64) float64 {
	const (
		tiny = 1e-300
		eps  = 1e-15
	)
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	f := d
	for m := 1; m <= 10000; m++ {
		mf := float64(m)
		// The even step, then the odd one.
		num := mf * (b - mf) * x / ((a + 2*mf - 1) * (a + 2*mf))
		for _, n := range []float64{num, -(a + mf) * (a + b + mf) * x / ((a + 2*mf) * (a + 2*mf + 1))} {
			d = 1 + n*d
			if math.Abs(d) < tiny {
				d = tiny
			}
			c = 1 + n/c
			if math.Abs(c) < tiny {
				c = tiny
			}
			d = 1 / d
			f *= d * c
		}
		if math.Abs(d*c-1) < eps {
			break
		}
	}
	return f
}

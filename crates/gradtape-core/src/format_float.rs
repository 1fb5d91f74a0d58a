//! Float text exactly as NumPy (and Python's `repr(float)`) prints it: a port
//! of NumPy's Dragon4 (`dragon4.c`). Rust's own shortest formatting is not
//! used because it breaks ties between equally short digit strings upwards
//! where Dragon4 picks the even digit (float32 143624.125 -> `143624.12`),
//! and NumPy's padding to a common precision prints the exact binary digits.

use std::cmp::Ordering;

/// NumPy's default `precision` print option.
const PRECISION: i32 = 8;

/// The float element types. NumPy compares a float32 array with float32
/// constants, so the layout decisions run in the element's own precision.
pub(crate) trait Float: Copy + PartialOrd {
    /// `10**min(8, np.finfo(dtype).precision)`: float32 arrays switch to
    /// scientific notation from 1e6, float64 arrays from 1e8.
    const EXP_CUTOFF_MAX: f64;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn abs(self) -> Self;
    fn div(self, other: Self) -> Self;
    fn is_sign_negative(self) -> bool;
    /// `|x| = mantissa * 2^exponent`, the index of the mantissa's top bit,
    /// and whether the gap to the next float below is half the gap above.
    fn decompose(self) -> (u64, i32, u32, bool);
}

/// [`Float::decompose`] of an IEEE binary float's bits, given its mantissa
/// width, exponent mask and bias (shared by every width, half ones included).
fn decompose_bits(bits: u64, man_bits: u32, exp_mask: u64, bias: i32) -> (u64, i32, u32, bool) {
    let man = bits & ((1 << man_bits) - 1);
    let exp = ((bits >> man_bits) & exp_mask) as i32;
    if exp != 0 {
        (man | (1 << man_bits), exp - bias - man_bits as i32, man_bits, exp != 1 && man == 0)
    } else {
        (man, 1 - bias - man_bits as i32, man.max(1).ilog2(), false)
    }
}

macro_rules! float_impl {
    ($t:ty, $cutoff:expr, $man_bits:expr, $exp_mask:expr, $bias:expr) => {
        impl Float for $t {
            const EXP_CUTOFF_MAX: f64 = $cutoff;
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            fn div(self, other: Self) -> Self {
                self / other
            }
            fn is_sign_negative(self) -> bool {
                <$t>::is_sign_negative(self)
            }
            fn decompose(self) -> (u64, i32, u32, bool) {
                decompose_bits(self.to_bits() as u64, $man_bits, $exp_mask, $bias)
            }
        }
    };
}
float_impl!(f32, 1e6, 23, 0xff, 127);
float_impl!(f64, 1e8, 52, 0x7ff, 1023);

// float16 (`np.finfo(np.float16).precision` is 3) and ml_dtypes' bfloat16
// (precision 2): NumPy's layout rules, in the type's own precision.
macro_rules! half_impl {
    ($t:ty, $cutoff:expr, $man_bits:expr, $exp_mask:expr, $bias:expr) => {
        impl Float for $t {
            const EXP_CUTOFF_MAX: f64 = $cutoff;
            fn from_f64(x: f64) -> Self {
                <$t>::from_f64(x)
            }
            fn to_f64(self) -> f64 {
                <$t>::to_f64(self)
            }
            fn abs(self) -> Self {
                <$t>::from_bits(self.to_bits() & 0x7fff)
            }
            fn div(self, other: Self) -> Self {
                <$t>::from_f32(self.to_f32() / other.to_f32())
            }
            fn is_sign_negative(self) -> bool {
                <$t>::is_sign_negative(self)
            }
            fn decompose(self) -> (u64, i32, u32, bool) {
                decompose_bits(self.to_bits() as u64, $man_bits, $exp_mask, $bias)
            }
        }
    };
}
half_impl!(half::f16, 1e3, 10, 0x1f, 15);
half_impl!(half::bf16, 1e2, 7, 0xff, 127);

/// Unsigned big integer, little-endian 32-bit blocks, no high zero blocks.
#[derive(Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }
    fn pow2(n: u32) -> Big {
        let mut b = Big::from_u64(1);
        b.shl(n);
        b
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn shl(&mut self, n: u32) {
        let (blocks, bits) = ((n / 32) as usize, n % 32);
        if bits != 0 {
            let mut carry = 0u32;
            for b in &mut self.0 {
                let v = ((*b as u64) << bits) | carry as u64;
                *b = v as u32;
                carry = (v >> 32) as u32;
            }
            self.0.push(carry);
        }
        self.0.splice(0..0, std::iter::repeat_n(0, blocks));
        self.trim();
    }
    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for b in &mut self.0 {
            let v = *b as u64 * m as u64 + carry;
            *b = v as u32;
            carry = v >> 32;
        }
        self.0.push(carry as u32);
        self.trim();
    }
    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        self.mul_small(10u32.pow(n));
    }
    fn add(&self, other: &Big) -> Big {
        let (mut out, mut carry) = (Vec::with_capacity(self.0.len().max(other.0.len()) + 1), 0u64);
        for i in 0..self.0.len().max(other.0.len()) {
            let v = *self.0.get(i).unwrap_or(&0) as u64 + *other.0.get(i).unwrap_or(&0) as u64 + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        out.push(carry as u32);
        let mut b = Big(out);
        b.trim();
        b
    }
    /// `self -= other`, where `self >= other`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, b) in self.0.iter_mut().enumerate() {
            let v = *b as i64 - *other.0.get(i).unwrap_or(&0) as i64 - borrow;
            *b = v.rem_euclid(1 << 32) as u32;
            borrow = (v < 0) as i64;
        }
        self.trim();
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How a cutoff counts digits: all significant ones, or those after the point.
#[derive(Clone, Copy, PartialEq)]
enum Cutoff {
    Total,
    Fraction,
}

/// `d[0].d[1..] x 10^exp` (digit values 0-9, not trimmed).
struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

/// NumPy's `Dragon4` in "unique" mode: the shortest digits that round-trip,
/// stopping at `max` digits (-1: no limit) and going on to at least `min` (-1: none).
fn dragon4<T: Float>(x: T, mode: Cutoff, max: i32, min: i32) -> Decimal {
    let neg = x.is_sign_negative();
    let (mantissa, exponent, top_bit, unequal) = x.decompose();
    if mantissa == 0 {
        return Decimal { neg, digits: vec![0], exp: 0 };
    }
    let is_even = mantissa & 1 == 0;
    // value = scaled / scale; margins are half the gaps to the neighbouring floats.
    let extra = 1 + unequal as u32;
    let mut value = Big::from_u64(mantissa);
    let (mut scale, mut margin_low);
    if exponent > 0 {
        value.shl(exponent as u32 + extra);
        scale = Big::from_u64(1 << extra);
        margin_low = Big::pow2(exponent as u32);
    } else {
        value.shl(extra);
        scale = Big::pow2((-exponent) as u32 + extra);
        margin_low = Big::from_u64(1);
    }
    let margin_high = |low: &Big| {
        let mut h = low.clone();
        if unequal {
            h.shl(1);
        }
        h
    };

    let mut digit_exp = ((top_bit as i32 + exponent) as f64 * std::f64::consts::LOG10_2 - 0.69).ceil() as i32;
    if max >= 0 && mode == Cutoff::Fraction && digit_exp <= -max {
        digit_exp = -max + 1;
    }
    if digit_exp > 0 {
        scale.mul_pow10(digit_exp as u32);
    } else if digit_exp < 0 {
        value.mul_pow10((-digit_exp) as u32);
        margin_low.mul_pow10((-digit_exp) as u32);
    }
    if value >= scale {
        digit_exp += 1;
    } else {
        value.mul_small(10);
        margin_low.mul_small(10);
    }

    let mut max_exp = digit_exp - 10_000;
    if max >= 0 {
        max_exp = max_exp.max(if mode == Cutoff::Total { digit_exp - max } else { -max });
    }
    let mut min_exp = digit_exp;
    if min >= 0 {
        min_exp = min_exp.min(if mode == Cutoff::Total { digit_exp - min } else { -min });
    }
    let mut out = Decimal { neg, digits: Vec::new(), exp: digit_exp - 1 };

    let (mut digit, mut low, mut high);
    loop {
        digit_exp -= 1;
        digit = 0u8;
        while value >= scale {
            value.sub_assign(&scale);
            digit += 1;
        }
        let c = value.cmp(&margin_low);
        low = if is_even { c.is_le() } else { c.is_lt() };
        let c = value.add(&margin_high(&margin_low)).cmp(&scale);
        high = if is_even { c.is_ge() } else { c.is_gt() };
        if ((low || high) && digit_exp <= min_exp) || digit_exp == max_exp {
            break;
        }
        out.digits.push(digit);
        value.mul_small(10);
        margin_low.mul_small(10);
    }

    let mut round_down = low;
    if low == high {
        value.shl(1);
        round_down = match value.cmp(&scale) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => digit % 2 == 0,
        };
    }
    if round_down {
        out.digits.push(digit);
    } else {
        // Round up, carrying through trailing nines.
        let mut d = digit + 1;
        while d == 10 {
            match out.digits.pop() {
                Some(prev) => d = prev + 1,
                None => {
                    d = 1;
                    out.exp += 1;
                }
            }
        }
        out.digits.push(d);
    }
    out
}

fn text(digits: &[u8]) -> String {
    digits.iter().map(|d| (b'0' + d) as char).collect()
}

/// `(sign and integer part, fraction digits with trailing zeros trimmed)`.
fn positional_parts(d: &Decimal) -> (String, String) {
    let sign = if d.neg { "-" } else { "" };
    let (int, frac) = if d.exp < 0 {
        ("0".to_string(), format!("{}{}", "0".repeat((-d.exp - 1) as usize), text(&d.digits)))
    } else {
        let whole = d.exp as usize + 1;
        let mut digits = d.digits.clone();
        if digits.len() < whole {
            digits.resize(whole, 0);
        }
        (text(&digits[..whole]), text(&digits[whole..]))
    };
    (format!("{sign}{int}"), frac.trim_end_matches('0').to_string())
}

/// NumPy's exponent text: a sign, then at least `min_digits` digits.
fn exp_text(exp: i32, min_digits: usize) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{:0width$}", exp.unsigned_abs(), width = min_digits)
}

/// Python's `repr(float)`, which TF shows for rank-0 tensors (it prints
/// `repr(value.item())`, so float32 0.1 shows as 0.10000000149011612):
/// shortest round-trip digits, positional from 1e-4 up to 1e16.
pub(crate) fn python_float_repr(x: f64) -> String {
    shortest_text(x)
}

/// NumPy's `str` of a float scalar of `T`'s width (`str(np.float32(0.1))`
/// is `0.1`): Python's rule with `T`'s shortest round-trip digits.
pub(crate) fn shortest_text<T: Float>(x: T) -> String {
    let v = x.to_f64();
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf".into() } else { "inf".into() };
    }
    let d = dragon4(x, Cutoff::Total, -1, -1);
    if v == 0.0 || (1e-4..1e16).contains(&v.abs()) {
        let (int, frac) = positional_parts(&d);
        format!("{int}.{}", if frac.is_empty() { "0" } else { &frac })
    } else {
        let sign = if d.neg { "-" } else { "" };
        let frac = text(&d.digits[1..]);
        let frac = frac.trim_end_matches('0');
        let dot = if frac.is_empty() { "" } else { "." };
        format!("{sign}{}{dot}{frac}e{}", d.digits[0], exp_text(d.exp, 2))
    }
}

/// NumPy's `FloatingFormat` with the default print options (precision 8,
/// floatmode 'maxprec', no suppression): one layout, positional or
/// scientific, with paddings shared by every element that is shown.
pub(crate) struct FloatFormat {
    exp_format: bool,
    /// Fraction digits of the scientific mantissa (every element gets this many).
    precision: i32,
    pad_left: usize,
    pad_right: usize,
    exp_size: usize,
}

impl FloatFormat {
    pub(crate) fn new<T: Float>(data: &[T]) -> FloatFormat {
        let finite: Vec<T> = data.iter().copied().filter(|x| x.to_f64().is_finite()).collect();
        let zero = T::from_f64(0.0);
        let mut exp_format = false;
        let mut non_zero = finite.iter().map(|x| x.abs()).filter(|&a| a != zero);
        if let Some(first) = non_zero.next() {
            let (min, max) = non_zero.fold((first, first), |(lo, hi), a| {
                (if a < lo { a } else { lo }, if a > hi { a } else { hi })
            });
            exp_format = max >= T::from_f64(T::EXP_CUTOFF_MAX)
                || min < T::from_f64(1e-4)
                || max.div(min) > T::from_f64(1000.0);
        }
        let mut f = FloatFormat { exp_format, precision: PRECISION, pad_left: 0, pad_right: 0, exp_size: 0 };
        if finite.is_empty() {
            // Only nan/inf: the paddings come from their text alone (below).
        } else if exp_format {
            let parts: Vec<Decimal> =
                finite.iter().map(|&x| dragon4(x, Cutoff::Total, PRECISION + 1, -1)).collect();
            let frac_len = |d: &Decimal| d.digits[1..].iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
            f.precision = parts.iter().map(frac_len).max().unwrap_or(0) as i32;
            f.exp_size = parts.iter().map(|d| exp_text(d.exp, 2).len() - 1).max().unwrap_or(2);
            f.pad_left = parts.iter().map(|d| 1 + d.neg as usize).max().unwrap_or(1);
            f.pad_right = f.exp_size + 2 + f.precision as usize;
        } else {
            let parts: Vec<(String, String)> = finite
                .iter()
                .map(|&x| positional_parts(&dragon4(x, Cutoff::Fraction, PRECISION, -1)))
                .collect();
            f.pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
            f.pad_right = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
        }
        if finite.len() != data.len() {
            let neg_inf = data.iter().any(|x| x.to_f64() == f64::NEG_INFINITY) as usize;
            let offset = f.pad_right + 1;
            f.pad_left = f.pad_left.max((3 + neg_inf).saturating_sub(offset));
        }
        f
    }

    pub(crate) fn format<T: Float>(&self, x: T) -> String {
        let v = x.to_f64();
        if !v.is_finite() {
            let s = if v.is_nan() {
                "nan"
            } else if v < 0.0 {
                "-inf"
            } else {
                "inf"
            };
            return format!("{s:>width$}", width = self.pad_left + self.pad_right + 1);
        }
        if self.exp_format {
            // `min_digits = precision`: Dragon4 goes on past the shortest
            // digits, so float32 1.0275128e-07 shows as 1.02751279e-07.
            let d = dragon4(x, Cutoff::Total, self.precision + 1, self.precision + 1);
            let lead = format!("{}{}", if d.neg { "-" } else { "" }, d.digits[0]);
            format!(
                "{lead:>pl$}.{:0<p$}e{}",
                text(&d.digits[1..]),
                exp_text(d.exp, self.exp_size),
                pl = self.pad_left,
                p = self.precision as usize
            )
        } else {
            let (int, frac) = positional_parts(&dragon4(x, Cutoff::Fraction, PRECISION, 0));
            format!("{int:>pl$}.{frac:<pr$}", pl = self.pad_left, pr = self.pad_right)
        }
    }
}

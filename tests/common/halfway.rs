//! Exact decimal values of the points halfway between two doubles: the
//! numbers a reader must round the hard way (tests/node_stringify.rs,
//! benches/fallback.rs).

/// The exact decimal value of the point halfway between the double
/// `m × 2^e` and the next, `(2m + 1) × 2^(e - 1)`, as its digits `D` and
/// the exponent that makes it `0.D × 10^exponent`: the number a reader
/// must round the hard way when it is cut anywhere.
pub fn halfway(m: u64, e: i32) -> (String, i64) {
    // Little-endian limbs of nine decimal digits.
    let mut limbs = vec![];
    let mut value = 2 * u128::from(m) + 1;
    while value > 0 {
        limbs.push((value % 1_000_000_000) as u64);
        value /= 1_000_000_000;
    }
    let times = |limbs: &mut Vec<u64>, k: u64| {
        let mut carry = 0;
        for limb in limbs.iter_mut() {
            let product = *limb * k + carry;
            *limb = product % 1_000_000_000;
            carry = product / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    };
    // 2^p for p >= 0; else 5^-p × 10^p.
    let p = e - 1;
    for _ in 0..p.unsigned_abs() {
        times(&mut limbs, if p >= 0 { 2 } else { 5 });
    }
    let mut digits = limbs.last().unwrap().to_string();
    for limb in limbs.iter().rev().skip(1) {
        digits.push_str(&format!("{limb:09}"));
    }
    let exponent = digits.len() as i64 + i64::from(p.min(0));
    (digits, exponent)
}

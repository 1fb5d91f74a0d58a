//! `tf.einsum` without ellipses: repeated labels in one operand take the
//! diagonal, labels only one operand has are summed first, and each pair of
//! operands is contracted by one batched matmul (as TF's kernel does).

use std::collections::BTreeMap;
use std::sync::Arc;

use gradtape_core::{Error, Result, Shape};

use crate::{matmul, Tensor};

fn bad(msg: String) -> Error {
    Error::InvalidArgument(format!("{msg} [Op:Einsum]"))
}

/// `tf.einsum(equation, *inputs)`.
///
/// ```
/// # use gradtape_engine::*;
/// let a = constant([[1.0, 2.0], [3.0, 4.0]])?;
/// assert_eq!(einsum("ii->", &[a.clone()])?.scalar::<f32>()?, 5.0);
/// assert_eq!(einsum("ij,jk->ik", &[a.clone(), a])?.to_vec::<f32>()?, vec![7.0, 10.0, 15.0, 22.0]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn einsum(equation: &str, inputs: &[Tensor]) -> Result<Tensor> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    if eq.contains('.') {
        return Err(bad("gradtape's einsum does not support ellipses".into()));
    }
    let (lhs, out) = match eq.split_once("->") {
        Some((l, o)) => (l.to_string(), o.chars().collect::<Vec<char>>()),
        None => {
            let mut count: BTreeMap<char, usize> = BTreeMap::new();
            eq.chars().filter(|c| c.is_alphabetic()).for_each(|c| *count.entry(c).or_default() += 1);
            (eq.clone(), count.into_iter().filter(|&(_, n)| n == 1).map(|(c, _)| c).collect())
        }
    };
    let terms: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
    if terms.len() != inputs.len() {
        return Err(bad(format!("Expected {} inputs but got: {}", terms.len(), inputs.len())));
    }
    let mut size: BTreeMap<char, usize> = BTreeMap::new();
    for (i, (t, x)) in terms.iter().zip(inputs).enumerate() {
        if t.len() != x.rank() {
            return Err(bad(format!("Expected input {i} to have rank {} but got: {}", t.len(), x.rank())));
        }
        for (ax, (&c, &d)) in t.iter().zip(x.dims()).enumerate() {
            match size.get(&c) {
                Some(&e) if e != d => {
                    return Err(bad(format!(
                        "Expected dimension {e} at axis {ax} of the input shaped {} but got dimension {d}",
                        x.shape().bracketed()
                    )))
                }
                _ => {
                    size.insert(c, d);
                }
            }
        }
    }
    if let Some(c) = out.iter().find(|c| !size.contains_key(c)) {
        return Err(bad(format!("Output subscript contains label '{c}' not present in the inputs")));
    }
    let mut ops: Vec<(Vec<char>, Tensor)> = Vec::new();
    for (k, (t, x)) in terms.iter().zip(inputs).enumerate() {
        let (labels, x) = diagonal(t, x)?;
        // Labels no other operand and not the output needs are summed now.
        let needed = |c: &char| out.contains(c) || terms.iter().enumerate().any(|(j, u)| j != k && u.contains(c));
        let sum_axes: Vec<i64> = labels.iter().enumerate().filter(|(_, c)| !needed(c)).map(|(i, _)| i as i64).collect();
        let kept: Vec<char> = labels.iter().copied().filter(|c| needed(c)).collect();
        let x = if sum_axes.is_empty() { x } else { x.reduce_sum_with(sum_axes.as_slice(), false)? };
        ops.push((kept, x));
    }
    let (mut labels, mut acc) = ops.remove(0);
    for (k, (lb, b)) in ops.into_iter().enumerate() {
        let later: Vec<char> = terms[k + 2..].iter().flatten().copied().chain(out.iter().copied()).collect();
        let (l2, t2) = contract(&labels, &acc, &lb, &b, &later)?;
        labels = l2;
        acc = t2;
    }
    let perm: Vec<i64> = out.iter().map(|c| labels.iter().position(|l| l == c).expect("checked") as i64).collect();
    if perm.iter().enumerate().all(|(i, &p)| i as i64 == p) {
        Ok(acc)
    } else {
        acc.transpose(&perm)
    }
}

/// Takes the diagonal over repeated labels: `ii -> i`.
fn diagonal(t: &[char], x: &Tensor) -> Result<(Vec<char>, Tensor)> {
    let mut uniq: Vec<char> = Vec::new();
    t.iter().for_each(|c| if !uniq.contains(c) { uniq.push(*c) });
    if uniq.len() == t.len() {
        return Ok((uniq, x.clone()));
    }
    let dims: Vec<usize> = uniq.iter().map(|c| x.dims()[t.iter().position(|l| l == c).expect("present")]).collect();
    let strides = x.shape().strides();
    let n: usize = dims.iter().product();
    let mut offsets = Vec::with_capacity(n);
    for k in 0..n {
        let mut rest = k;
        let mut idx = vec![0; uniq.len()];
        for i in (0..uniq.len()).rev() {
            idx[i] = rest % dims[i];
            rest /= dims[i];
        }
        let off: usize = t.iter().enumerate().map(|(ax, c)| idx[uniq.iter().position(|u| u == c).expect("present")] * strides[ax]).sum();
        offsets.push(off);
    }
    let offsets: Arc<[usize]> = offsets.into();
    Ok((uniq, x.take(offsets, Shape::new(&dims))?))
}

/// One pairwise contraction as `[batch, left, contracted] @ [batch, contracted, right]`.
fn contract(la: &[char], a: &Tensor, lb: &[char], b: &Tensor, later: &[char]) -> Result<(Vec<char>, Tensor)> {
    let batch: Vec<char> = la.iter().copied().filter(|c| lb.contains(c) && later.contains(c)).collect();
    let con: Vec<char> = la.iter().copied().filter(|c| lb.contains(c) && !later.contains(c)).collect();
    let left: Vec<char> = la.iter().copied().filter(|c| !lb.contains(c)).collect();
    let right: Vec<char> = lb.iter().copied().filter(|c| !la.contains(c)).collect();
    let dim = |l: &[char], t: &Tensor, c: char| t.dims()[l.iter().position(|x| *x == c).expect("present")];
    let order = |l: &[char], groups: &[&[char]]| -> Vec<i64> {
        groups.iter().flat_map(|g| g.iter().map(|c| l.iter().position(|x| x == c).expect("present") as i64)).collect()
    };
    let prod = |l: &[char], t: &Tensor, g: &[char]| g.iter().map(|&c| dim(l, t, c)).product::<usize>() as i64;
    let (bn, ln, cn, rn) = (prod(la, a, &batch), prod(la, a, &left), prod(la, a, &con), prod(lb, b, &right));
    let a3 = a.transpose(&order(la, &[&batch, &left, &con]))?.reshape([bn, ln, cn])?;
    let b3 = b.transpose(&order(lb, &[&batch, &con, &right]))?.reshape([bn, cn, rn])?;
    let mut out_dims: Vec<i64> = batch.iter().map(|&c| dim(la, a, c) as i64).collect();
    out_dims.extend(left.iter().map(|&c| dim(la, a, c) as i64));
    out_dims.extend(right.iter().map(|&c| dim(lb, b, c) as i64));
    let y = matmul(&a3, &b3)?.reshape(out_dims.as_slice())?;
    let labels: Vec<char> = batch.iter().chain(&left).chain(&right).copied().collect();
    Ok((labels, y))
}

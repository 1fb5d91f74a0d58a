//! One variable's update, written op for op as Keras 3's `update_step`s:
//! Python-float constants (`1 - beta_1`) are computed in float64 and then
//! converted to the variable's dtype, tensors are combined in that dtype.

use gradtape_core::Result;

use super::Algorithm;
use crate::{Tensor, Variable};

pub(super) fn step(alg: &Algorithm, v: &Variable, g: &Tensor, slots: &mut [Tensor], lr: f64, iterations: i64) -> Result<()> {
    let dt = v.dtype();
    let e = v.engine();
    // `ops.cast(learning_rate, variable.dtype)` of the float32 variable.
    let lr = e.constant_with(lr, dt)?;
    let x = v.read();
    let new = match *alg {
        Algorithm::Sgd { momentum, nesterov } => {
            if momentum != 0.0 {
                let mu = e.constant_with(momentum, dt)?;
                let m = slots[0].mul(&mu)?.sub(&g.mul(&lr)?)?;
                slots[0] = m.clone();
                if nesterov {
                    x.add(&m.mul(&mu)?.sub(&g.mul(&lr)?)?)?
                } else {
                    x.add(&m)?
                }
            } else {
                x.sub(&g.mul(&lr)?)?
            }
        }
        Algorithm::Adam { beta_1, beta_2, epsilon, amsgrad } => {
            let t = e.constant_with((iterations + 1) as f64, dt)?;
            let b1p = e.constant_with(beta_1, dt)?.pow(&t)?;
            let b2p = e.constant_with(beta_2, dt)?.pow(&t)?;
            let one = e.constant_with(1.0, dt)?;
            let alpha = lr.mul(&one.sub(&b2p)?.sqrt()?)?.div(&one.sub(&b1p)?)?;
            let m = slots[0].add(&g.sub(&slots[0])?.mul(1.0 - beta_1)?)?;
            let mut s = slots[1].add(&g.square()?.sub(&slots[1])?.mul(1.0 - beta_2)?)?;
            slots[0] = m.clone();
            slots[1] = s.clone();
            if amsgrad {
                s = slots[2].maximum(&s)?;
                slots[2] = s.clone();
            }
            x.sub(&m.mul(&alpha)?.div(&s.sqrt()?.add(epsilon)?)?)?
        }
        Algorithm::RmsProp { rho, momentum, epsilon, centered } => {
            let vel = slots[0].mul(rho)?.add(&g.square()?.mul(1.0 - rho)?)?;
            slots[0] = vel.clone();
            let den = if centered {
                let k = slots.len() - 1;
                let avg = slots[k].mul(rho)?.add(&g.mul(1.0 - rho)?)?;
                slots[k] = avg.clone();
                vel.sub(&avg.square()?)?.add(epsilon)?
            } else {
                vel.add(epsilon)?
            };
            let inc = lr.mul(g)?.div(&den.sqrt()?)?;
            if momentum > 0.0 {
                let mom = slots[1].mul(momentum)?.add(&inc)?;
                slots[1] = mom.clone();
                x.sub(&mom)?
            } else {
                x.sub(&inc)?
            }
        }
        Algorithm::Adagrad { epsilon, .. } => {
            let acc = slots[0].add(&g.square()?)?;
            slots[0] = acc.clone();
            x.sub(&lr.mul(g)?.div(&acc.add(epsilon)?.sqrt()?)?)?
        }
    };
    v.assign(&new)?;
    Ok(())
}

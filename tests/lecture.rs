//! The lecture tour against `tests/golden/lecture/cells.json`: every cell of
//! the lecture, in order, prints what TensorFlow 2.21 prints, or is one of
//! the documented Python-only counterparts. The tour's table of cells
//! (`examples/lecture/tour/`) is compiled here as a module, so the test runs
//! exactly the code the tour shows.
//!
//! How outputs compare, by the cell's `Kind`:
//! - `Tf`: equal to `tf221_output`, character for character. For an error
//!   cell, TF 2.21's text first loses its `{{function_node __wrapped__<Op>_
//!   device_/job:localhost/replica:0/task:0/device:CPU:0}} ` prefix (TF's
//!   kernel and device) and its ` name: <op name>` after `[Op:<Op>]`
//!   (`tour::golden::tf_message_core`); class and message must then be equal.
//! - `Device`: `tf221_output` (`[]`) without a GPU, the lecture's list on one.
//! - `Same`: a `python_only` cell whose Rust counterpart prints exactly
//!   `tf221_output`.
//! - `Counterpart`: a `python_only` cell with its reason; where cells.json
//!   says how `id()`s relate (`<id> equal to the id of cell 76`), the
//!   counterparts' outputs relate the same way.
//! - `Compile`: a `python_only` error cell; the output is rustc's error.

#[allow(dead_code)]
#[path = "../examples/lecture/tour/mod.rs"]
mod tour;

use tour::golden::{tf_message_core, Golden};
use tour::{Kind, Outcome};

fn expected_tf(g: &Golden) -> String {
    if g.kind == "error" {
        tf_message_core(&g.tf221_output)
    } else {
        g.tf221_output.clone()
    }
}

/// What is wrong with one cell's outcome, if anything.
fn check(g: &Golden, o: &Outcome, all: &[Outcome]) -> Result<(), String> {
    let output_of = |id: u32| all.iter().find(|o| o.id == id).map(|o| o.output.clone());
    match o.kind {
        Kind::Tf | Kind::Same(_) => {
            if matches!(o.kind, Kind::Tf) && g.python_only.is_some() {
                return Err(format!("marked Tf, but cells.json says Python only: {:?}", g.python_only));
            }
            if matches!(o.kind, Kind::Same(_)) && g.python_only.is_none() {
                return Err("marked Same (a Python-only cell), but cells.json has it as a TF cell".into());
            }
            let want = expected_tf(g);
            if o.output != want {
                return Err(format!("gradtape printed\n{}\nTF 2.21 prints\n{want}", o.output));
            }
        }
        Kind::Device => {
            let gpu = gradtape::device_info().contains("GPU");
            let want = if gpu { &g.lecture_output } else { &g.tf221_output };
            if &o.output != want {
                return Err(format!("device list {:?}, expected {want:?} (GPU: {gpu})", o.output));
            }
        }
        Kind::Counterpart(why) => {
            if g.python_only.is_none() {
                return Err("a counterpart for a cell TF can run: it must print TF's output".into());
            }
            if why.trim().is_empty() || o.output.trim().is_empty() {
                return Err("a counterpart needs a reason and an output".into());
            }
            if o.output.contains("not found.") {
                return Err(format!("the introspection found nothing: {}", o.output));
            }
            // `<id> equal to the id of cell 76` / `<id> differs from the id of cell 74`.
            if let Some(rest) = g.tf221_output.strip_prefix("<id> ") {
                let other: u32 = rest.rsplit(' ').next().and_then(|n| n.parse().ok()).ok_or("unreadable id relation")?;
                let theirs = output_of(other).ok_or(format!("cell {other} did not run"))?;
                let equal = rest.starts_with("equal");
                if (o.output == theirs) != equal {
                    return Err(format!("id {} vs cell {other}'s {theirs}: the lecture's says {rest}", o.output));
                }
            }
        }
        Kind::Compile(msg) => {
            if g.python_only.is_none() || g.kind != "error" {
                return Err("a compile-error counterpart stands only for a Python-only error cell".into());
            }
            if !msg.starts_with("error[E") || o.output != msg {
                return Err(format!("not a rustc error: {:?}", o.output));
            }
        }
    }
    match (g.same, o.changed) {
        (true, Some(c)) => Err(format!("says TF 2.21 changed ({c}), but the lecture's output is TF 2.21's")),
        (false, None) => Err("TF 2.21's output differs from the lecture's: the tour must say what changed".into()),
        _ => Ok(()),
    }
}

#[test]
fn every_lecture_cell_prints_tf221_or_a_documented_counterpart() {
    let (tour, result) = tour::run(false);
    result.expect("every cell's statements run");
    let golden = &tour.golden;
    assert_eq!(golden.len(), 106, "cells.json holds the lecture's 106 cells");

    let ran: Vec<u32> = tour.outcomes.iter().map(|o| o.id).collect();
    let missing: Vec<u32> = golden.iter().map(|g| g.index).filter(|i| !ran.contains(i)).collect();
    assert!(missing.is_empty(), "cells the tour does not cover: {missing:?}");
    let order: Vec<u32> = golden.iter().map(|g| g.index).collect();
    assert_eq!(ran, order, "the tour runs every cell once, in the lecture's order");

    let mut failures = Vec::new();
    for (g, o) in golden.iter().zip(&tour.outcomes) {
        if let Err(why) = check(g, o, &tour.outcomes) {
            failures.push(format!("cell {} ({}):\n>>> {}\nrs> {}\n{why}", g.index, g.section, g.code, o.rust));
        }
    }
    assert!(failures.is_empty(), "{} of 106 cells fail:\n\n{}", failures.len(), failures.join("\n\n"));

    let count = |f: fn(&Kind) -> bool| tour.outcomes.iter().filter(|o| f(&o.kind)).count();
    println!(
        "106 cells: {} print TF 2.21's output (Tf {}, Device {}, Python-only with the same output {}), \
         {} are Python-only counterparts ({} of them compile errors)",
        count(|k| matches!(k, Kind::Tf | Kind::Device | Kind::Same(_))),
        count(|k| matches!(k, Kind::Tf)),
        count(|k| matches!(k, Kind::Device)),
        count(|k| matches!(k, Kind::Same(_))),
        count(|k| matches!(k, Kind::Counterpart(_) | Kind::Compile(_))),
        count(|k| matches!(k, Kind::Compile(_))),
    );

    // The numerical-derivative section's tape aside: the exact derivative.
    assert_eq!(
        tour.asides.iter().map(|(_, out)| out.as_str()).collect::<Vec<_>>(),
        ["<tf.Tensor: shape=(), dtype=float32, numpy=12.0>"]
    );
    // The gradient examples' methods are what the introspection cells describe.
    let dir = &tour.outcomes[86].output;
    for m in ["'gradient'", "'watch'", "'start'", "'stop'", "'record'", "'scope'"] {
        assert!(dir.contains(m), "dir(&mytape) lacks {m}: {dir}");
    }
}

#[test]
fn tf_messages_lose_only_the_kernel_prefix_and_the_op_name() {
    let tf = "InvalidArgumentError: {{function_node __wrapped__MatMul_device_/job:localhost/replica:0/task:0/device:CPU:0}} \
              In[0] and In[1] has different ndims: [2] vs. [2,2] [Op:MatMul] name: ";
    assert_eq!(tf_message_core(tf), "InvalidArgumentError: In[0] and In[1] has different ndims: [2] vs. [2,2] [Op:MatMul]");
    let named = "InvalidArgumentError: ConcatOp : x [Op:ConcatV2] name: concat";
    assert_eq!(tf_message_core(named), "InvalidArgumentError: ConcatOp : x [Op:ConcatV2]");
    let plain = "RuntimeError: A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)";
    assert_eq!(tf_message_core(plain), plain);
}

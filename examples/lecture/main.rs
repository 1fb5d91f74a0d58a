//! The lecture tour: every code cell of the course's TensorFlow lecture
//! (`tests/golden/lecture/cells.json`), in order, in gradtape.
//!
//! For each cell: the lecture's heading and note, the Python (`>>>`), the
//! Rust that does the same (`rs>`, the very code that runs), and gradtape's
//! output, which is TensorFlow 2.21's (`tests/lecture.rs` checks it). Where
//! TF 2.21 differs from the lecture's older TF, a `※ TF 2.21:` line says what
//! changed; a cell only Python can run gets its nearest Rust counterpart and
//! a `※ Python only:` line saying why.
//!
//! `cargo run --release --example lecture`; `GRADTAPE_DEVICE` picks the device.

use std::process::ExitCode;

// The test (`tests/lecture.rs`) reads the outcomes the tour only prints.
#[allow(dead_code)]
mod tour;

fn main() -> ExitCode {
    // The default engine quietly takes the CPU for a GRADTAPE_DEVICE it does
    // not know, so a misspelt name would go unnoticed.
    if let Err(e) = gradtape::Device::from_env() {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    println!("gradtape lecture tour (TensorFlow 2.21 semantics), device: {}", gradtape::device_info());
    println!(
        "Errors read as TF 2.21's, without the `{{{{function_node ...}}}}` prefix naming TF's kernel and device \
         and the ` name: ...` after `[Op:...]`.\n"
    );
    let (tour, result) = tour::run(true);
    match result {
        Ok(()) => {
            println!("The tour is complete: {} cells.", tour.outcomes.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("The tour stopped: a statement the later cells need failed: {e}");
            ExitCode::FAILURE
        }
    }
}

//! libFuzzer entry point: each input is a gradtape program (see `src/lib.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gradtape_fuzz::run(data));

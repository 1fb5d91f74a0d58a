//! The fuzzer's program interpreter (`fuzz/src/lib.rs`) under plain
//! `cargo test`, with no libFuzzer and no nightly flags: it replays the
//! committed corpus (`fuzz/corpus/program/`), and runs random byte strings
//! as programs. Each program must end without a panic, with every failed op
//! an `Err` that changed nothing, and with no entity left behind.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz_program;

mod prop_common;

use proptest::prelude::*;

#[test]
fn the_fuzz_corpus_replays_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/program");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("the corpus folder").map(|f| f.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let res = std::panic::catch_unwind(|| fuzz_program::run(&data));
        assert!(res.is_ok(), "{} failed", f.display());
    }
}

/// Known inputs that broke an invariant once, kept as regression tests.
#[test]
fn past_fuzz_findings_stay_fixed() {
    // reshape of a [0] tensor to [-1] gave shape [1] with no element.
    fuzz_program::run(&[250, 196, 112, 114, 250, 88, 196, 101]);
    // matmul of [2^45, ...]-batched empty operands allocated per batch.
    fuzz_program::run(&[0xaa, 0x22, 0xff, 0xaa, 0x22, 0x08, 0xa8, 0xaa, 0xda, 0xf9, 0xff, 0xf7, 0xff, 0xff]);
}

proptest! {
    #![proptest_config(prop_common::config())]

    #[test]
    fn random_programs_keep_every_invariant(data in prop::collection::vec(any::<u8>(), 0..512)) {
        fuzz_program::run(&data);
    }
}

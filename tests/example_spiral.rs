//! The spiral classifier example (issue 15's guide port) learns: the same
//! `run` and `check` its `main` uses, with the default step budget.

#[allow(dead_code)]
#[path = "../examples/spiral_classifier.rs"]
mod spiral_classifier;

#[test]
fn spiral_classifier_learns() {
    let report = spiral_classifier::run(400).expect("training runs");
    match report.check() {
        Ok(line) => println!("{line}"),
        Err(why) => panic!("{why}"),
    }
}

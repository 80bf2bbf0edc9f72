//! Replays the committed fuzz inputs (`fuzz/regressions/`: crashes found by
//! `cargo fuzz run vtl_render` once fixed, plus seeds) through the fuzz target's function.

use gwtui::mapping::conformance::exercise;

#[test]
fn replay_committed_fuzz_inputs() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/regressions exists") {
        let path = entry.expect("readable entry").path();
        if path.is_file() {
            let data = std::fs::read(&path).expect("readable input");
            exercise(&data);
            n += 1;
        }
    }
    println!("replayed {n} fuzz inputs");
    assert!(n > 0, "no committed fuzz inputs found in {dir}");
}

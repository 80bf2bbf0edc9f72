//! Replays the committed fuzz inputs through the fuzz targets' functions: `fuzz/regressions/`
//! (`cargo fuzz run vtl_render`) and `fuzz/regressions-json/` (`cargo fuzz run vtl_json`),
//! crashes once fixed plus seeds.

use gwtui::mapping::conformance::{exercise, exercise_json};

#[test]
fn replay_committed_fuzz_inputs() {
    replay(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions"),
        exercise,
    );
}

#[test]
fn replay_committed_json_fuzz_inputs() {
    replay(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions-json"),
        exercise_json,
    );
}

fn replay(dir: &str, exercise: fn(&[u8])) {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
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

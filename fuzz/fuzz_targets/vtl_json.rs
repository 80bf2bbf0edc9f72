//! The lazy JSON document (`$input.path('$')`'s tape) against the eager reader on arbitrary
//! bytes, plus templates over it (see `gwtui::mapping::conformance::exercise_json`). Run:
//! `cargo fuzz run -s none vtl_json -- -max_total_time=300`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gwtui::mapping::conformance::exercise_json(data);
});

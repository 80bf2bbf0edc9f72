//! Parse and render arbitrary templates against arbitrary bodies (see
//! `gwtui::mapping::conformance::exercise`). Run:
//! `cargo fuzz run -s none vtl_render -- -max_total_time=300`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gwtui::mapping::conformance::exercise(data);
});

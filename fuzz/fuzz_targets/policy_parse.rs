#![no_main]
use libfuzzer_sys::fuzz_target;

// Placeholder until the crate under test exposes its entry point.
fuzz_target!(|data: &[u8]| {
    let _ = data;
});

//! The case-record parser (`ogi import`, `ogi records validate`): any bytes give records or
//! errors by line, never a panic; a refused line's errors carry its number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ogi_core::records;

fuzz_target!(|data: &[u8]| {
    let parsed = records::read_jsonl(data).expect("reading from memory cannot fail");
    drop(parsed);
    if let Ok(text) = std::str::from_utf8(data) {
        for (i, line) in text.lines().enumerate() {
            if let Err(errors) = records::parse_line(i + 1, line) {
                assert!(!errors.is_empty(), "a refused line without an error");
                assert!(errors.iter().all(|e| e.line == i + 1), "{errors:?}");
            }
        }
    }
});

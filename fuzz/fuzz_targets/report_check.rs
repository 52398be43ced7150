//! The annual report JSON check (`ogi report check`, `CheckReport`): any text either is no
//! report (a serde error) or is checked — against itself as the previous year, with the
//! text as the narrative — and rendered, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ogi_core::report::{self, AnnualReport, Narrative};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line may be the narrative, the rest the report.
    let (narrative, json) = text.split_once('\n').unwrap_or(("", text));
    for candidate in [text, json] {
        if let Ok(report) = serde_json::from_str::<AnnualReport>(candidate) {
            let _ = report::check(&report, None, Some(narrative));
            let _ = report::check(&report, Some(&report), None);
            let _ = report::to_markdown(&report, &Narrative::default());
        }
    }
});

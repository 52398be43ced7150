//! The letter renderer: a template file of any text is parsed or refused; any outcome, with
//! any free text in the facts and the letterhead, renders a letter with the shipped templates
//! and with a parsed one, never a panic.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use ogi_core::codes::OutcomeCode;
use ogi_core::letters::{self, AgencyLetterhead, LetterFacts, RegisteredLetterhead, Templates};

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let template_text: &str = u.arbitrary()?;
    let head =
        AgencyLetterhead::default_for(u.arbitrary()?).with_registered(&RegisteredLetterhead {
            letter_prefix: u.arbitrary()?,
            reconsideration_body: u.arbitrary()?,
        });
    let received_on = NaiveDate::from_ymd_opt(2008, 1, 1).unwrap()
        + chrono::Duration::days(u.int_in_range(0..=366 * 42)?);
    let facts = LetterFacts {
        outcome: *u.choose(OutcomeCode::ALL)?,
        applicant_name: u.arbitrary()?,
        received_on,
        request_description: u.arbitrary()?,
        replied_on: received_on + chrono::Duration::days(u.int_in_range(0..=400)?),
        document_number: letters::document_number(
            u.arbitrary()?,
            u.int_in_range(2008..=2050)?,
            u.arbitrary()?,
        ),
        legal_basis: u.arbitrary()?,
        reply_text: u.arbitrary()?,
        other_agency: u.arbitrary()?,
        fee_amount_yuan: u.arbitrary()?,
    };
    let _ = facts.check();
    let letter = letters::render(&head, &facts);
    assert!(!letter.text.is_empty());
    if let Ok(templates) = Templates::parse(template_text) {
        let _ = templates.render(&head, &facts);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});

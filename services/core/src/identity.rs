//! Identity document checks: the 18-character resident identity number (居民身份证号码,
//! GB 11643, ISO 7064 MOD 11-2 check digit and a real birth date) and the unified social
//! credit code (统一社会信用代码, GB 32100, mod-31 check character).
//! Also the masking of identity and phone numbers for logs, events and exports.

use chrono::NaiveDate;

use crate::codes::IdType;

/// Why an identity number is not valid; the message is for the user, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("长度应为18位，实际为{0}位")]
    Length(usize),
    #[error("第{position}位字符「{found}」不合法")]
    Character { position: usize, found: char },
    #[error("出生日期{0}不是有效日期")]
    BirthDate(String),
    #[error("校验码应为「{expected}」，实际为「{found}」")]
    CheckDigit { expected: char, found: char },
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Check an 18-character resident identity number (GB 11643).
pub fn check_resident_id(value: &str) -> Result<(), IdentityError> {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() != 18 {
        return Err(IdentityError::Length(chars.len()));
    }
    let mut sum = 0;
    for (i, c) in chars[..17].iter().enumerate() {
        let d = c.to_digit(10).ok_or(IdentityError::Character {
            position: i + 1,
            found: *c,
        })?;
        sum += d * ID_WEIGHTS[i];
    }
    let birth: String = chars[6..14].iter().collect();
    if NaiveDate::parse_from_str(&birth, "%Y%m%d").is_err() {
        return Err(IdentityError::BirthDate(birth));
    }
    let expected = ID_CHECK[(sum % 11) as usize];
    let found = chars[17].to_ascii_uppercase();
    if !(found.is_ascii_digit() || found == 'X') {
        return Err(IdentityError::Character {
            position: 18,
            found: chars[17],
        });
    }
    if found != expected {
        return Err(IdentityError::CheckDigit {
            expected,
            found: chars[17],
        });
    }
    Ok(())
}

const CREDIT_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Check an 18-character unified social credit code (GB 32100).
pub fn check_credit_code(value: &str) -> Result<(), IdentityError> {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() != 18 {
        return Err(IdentityError::Length(chars.len()));
    }
    let mut values = [0u32; 17];
    for (i, c) in chars[..17].iter().enumerate() {
        let v = CREDIT_CHARSET
            .find(c.to_ascii_uppercase())
            .ok_or(IdentityError::Character {
                position: i + 1,
                found: *c,
            })?;
        values[i] = v as u32;
    }
    let mut weight = 1u32;
    let mut sum = 0u32;
    for v in &values {
        sum += v * weight;
        weight = weight * 3 % 31;
    }
    let check = (31 - sum % 31) % 31;
    let expected = CREDIT_CHARSET.as_bytes()[check as usize] as char;
    if chars[17].to_ascii_uppercase() != expected {
        return Err(IdentityError::CheckDigit {
            expected,
            found: chars[17],
        });
    }
    Ok(())
}

/// Check an identity number by its document type; passports and other documents are not checked.
pub fn check_identity(id_type: IdType, value: &str) -> Result<(), IdentityError> {
    match id_type {
        IdType::ResidentIdCard => check_resident_id(value),
        IdType::UnifiedSocialCreditCode => check_credit_code(value),
        IdType::Passport | IdType::Other => Ok(()),
    }
}

/// Mask an identity number for logs and exports that do not need it: keep the first 6 and
/// the last 4 characters (`510904********0038`). Short values are masked entirely.
pub fn mask_id_number(value: &str) -> String {
    mask_keep(value, 6, 4)
}

/// Mask a phone number: keep the first 3 and the last 4 digits (`138****0017`).
pub fn mask_phone(value: &str) -> String {
    mask_keep(value, 3, 4)
}

fn mask_keep(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// A stable key of an identity document for screening (same applicant, volume), so that
/// events carry no identity number: 64-bit FNV-1a over the type and the upper-cased number.
pub fn applicant_key(id_type: IdType, value: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id_type
        .code()
        .bytes()
        .chain([b':'])
        .chain(value.trim().to_uppercase().bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked examples of procedure.md.
    #[test]
    fn resident_id_worked_examples() {
        assert_eq!(check_resident_id("11010519491231002X"), Ok(()));
        assert_eq!(
            check_resident_id("110105194912310021"),
            Err(IdentityError::CheckDigit {
                expected: 'X',
                found: '1'
            })
        );
        assert_eq!(check_resident_id("510904198507120038"), Ok(()));
    }

    #[test]
    fn resident_id_needs_a_real_birth_date() {
        // 1985-02-30 does not exist; fix the check digit so only the date is wrong.
        let base = "51090419850230003";
        let sum: u32 = base
            .chars()
            .zip(ID_WEIGHTS)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let id = format!("{base}{}", ID_CHECK[(sum % 11) as usize]);
        assert_eq!(
            check_resident_id(&id),
            Err(IdentityError::BirthDate("19850230".into()))
        );
        assert_eq!(
            check_resident_id("5109041985"),
            Err(IdentityError::Length(10))
        );
        assert!(matches!(
            check_resident_id("5109041985071200A8"),
            Err(IdentityError::Character { position: 17, .. })
        ));
    }

    #[test]
    fn credit_code_worked_examples() {
        assert_eq!(check_credit_code("91110000600037341L"), Ok(()));
        assert_eq!(
            check_credit_code("91350100M000100Y4Z"),
            Err(IdentityError::CheckDigit {
                expected: '3',
                found: 'Z'
            })
        );
        assert_eq!(check_credit_code("91350100M000100Y43"), Ok(()));
        // The first character may be a letter (registration authority).
        assert!(matches!(
            check_credit_code("I1110000600037341L"),
            Err(IdentityError::Character { position: 1, .. })
        ));
    }

    #[test]
    fn masking_keeps_only_the_ends() {
        assert_eq!(mask_id_number("510904198507120038"), "510904********0038");
        assert_eq!(mask_phone("13800000017"), "138****0017");
        assert_eq!(mask_phone("123"), "***");
    }
}

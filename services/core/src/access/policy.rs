//! The sign-in policy (secadmin's settings): password strength, lockout after failures, token
//! and session lifetimes. Times are passed in; nothing here reads the clock.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The security policy with the defaults of roles.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityPolicy {
    /// Minimum password length in characters.
    pub password_min_length: usize,
    /// Character classes required (lower case, upper case, digits, others).
    pub password_min_classes: usize,
    /// Failed sign-ins in a row that lock the account.
    pub max_failures: u32,
    /// How long a locked account stays locked.
    pub lockout_minutes: i64,
    /// Lifetime of the tokens the services verify.
    pub token_minutes: i64,
    /// A console session ends after this much idle time…
    pub session_idle_minutes: i64,
    /// …and after this long in all.
    pub session_max_hours: i64,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            password_min_length: 10,
            password_min_classes: 3,
            max_failures: 5,
            lockout_minutes: 10,
            token_minutes: 15,
            session_idle_minutes: 30,
            session_max_hours: 8,
        }
    }
}

/// Why a password is refused, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("密码至少{min}个字符，实际{actual}个")]
    TooShort { min: usize, actual: usize },
    #[error("密码须包含大写字母、小写字母、数字、其他字符中的至少{min}类，实际{actual}类")]
    TooFewClasses { min: usize, actual: usize },
    #[error("新密码不得与原密码相同")]
    Unchanged,
}

/// The character classes of a password (lower, upper, digit, other).
pub fn character_classes(password: &str) -> usize {
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let other = password.chars().any(|c| !c.is_ascii_alphanumeric());
    [lower, upper, digit, other]
        .into_iter()
        .filter(|b| *b)
        .count()
}

/// The bounds of each setting (field, least, most, what it is in Chinese).
pub const BOUNDS: [(&str, i64, i64, &str); 7] = [
    ("password_min_length", 8, 64, "密码最短长度"),
    ("password_min_classes", 1, 4, "密码字符类别数"),
    ("lockout_threshold", 3, 10, "锁定前连续登录失败次数"),
    ("lockout_minutes", 1, 1440, "锁定分钟数"),
    ("token_minutes", 1, 60, "登录凭据有效分钟数"),
    ("idle_minutes", 1, 120, "空闲退出分钟数"),
    ("session_max_hours", 1, 24, "会话最长小时数"),
];

impl SecurityPolicy {
    /// The settings by the names of [`BOUNDS`].
    fn values(&self) -> [i64; 7] {
        [
            self.password_min_length as i64,
            self.password_min_classes as i64,
            i64::from(self.max_failures),
            self.lockout_minutes,
            self.token_minutes,
            self.session_idle_minutes,
            self.session_max_hours,
        ]
    }

    /// Check every setting against its bounds (GB/T 22239: a lockout always applies).
    pub fn validate(&self) -> Result<(), String> {
        for ((field, least, most, what), value) in BOUNDS.iter().zip(self.values()) {
            if value < *least || value > *most {
                return Err(format!(
                    "{what}（{field}）应为{least}至{most}，实际为{value}"
                ));
            }
        }
        Ok(())
    }

    /// Check a new password against the policy.
    pub fn check_password(&self, password: &str) -> Result<(), PasswordError> {
        let actual = password.chars().count();
        if actual < self.password_min_length {
            return Err(PasswordError::TooShort {
                min: self.password_min_length,
                actual,
            });
        }
        let classes = character_classes(password);
        if classes < self.password_min_classes {
            return Err(PasswordError::TooFewClasses {
                min: self.password_min_classes,
                actual: classes,
            });
        }
        Ok(())
    }

    /// Until when an account with `failures` failures in a row, the last at `last_failure`,
    /// is locked; `None` when it is not locked at `now`.
    pub fn locked_until(
        &self,
        failures: u32,
        last_failure: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let last = last_failure?;
        if failures < self.max_failures {
            return None;
        }
        let until = last + Duration::minutes(self.lockout_minutes);
        (now < until).then_some(until)
    }

    /// The failure count after a failed sign-in at `now`: a lock that has run out starts the
    /// count again.
    pub fn failures_after_failure(
        &self,
        failures: u32,
        last_failure: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> u32 {
        match last_failure {
            Some(last)
                if failures >= self.max_failures
                    && now >= last + Duration::minutes(self.lockout_minutes) =>
            {
                1
            }
            _ => failures + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_and_three_classes() {
        let p = SecurityPolicy::default();
        assert!(matches!(
            p.check_password("Ab1!"),
            Err(PasswordError::TooShort { min: 10, actual: 4 })
        ));
        assert!(matches!(
            p.check_password("abcdefghij12"),
            Err(PasswordError::TooFewClasses { min: 3, actual: 2 })
        ));
        assert!(p.check_password("abcdefghij1A").is_ok());
        assert!(
            p.check_password("安居区政务公开2024ab").is_ok(),
            "Chinese counts as other"
        );
        assert!(p.check_password("abcdefgh1!").is_ok());
        let e = p.check_password("short").unwrap_err().to_string();
        assert!(e.contains("至少10个字符"), "{e}");
    }

    #[test]
    fn the_defaults_are_within_bounds_and_a_lockout_cannot_be_switched_off() {
        assert_eq!(SecurityPolicy::default().validate(), Ok(()));
        let mut p = SecurityPolicy {
            max_failures: 0,
            ..Default::default()
        };
        let e = p.validate().unwrap_err();
        assert!(
            e.contains("lockout_threshold") && e.contains("3至10"),
            "{e}"
        );
        p.max_failures = 5;
        p.password_min_length = 6;
        assert!(p.validate().unwrap_err().contains("密码最短长度"));
    }

    #[test]
    fn five_failures_lock_for_ten_minutes() {
        let p = SecurityPolicy::default();
        let t0: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
        let mut failures = 0;
        for i in 0..5 {
            let at = t0 + Duration::seconds(i);
            assert_eq!(p.locked_until(failures, Some(at), at), None);
            failures = p.failures_after_failure(failures, Some(at), at);
        }
        let last = t0 + Duration::seconds(4);
        assert_eq!(failures, 5);
        assert_eq!(
            p.locked_until(failures, Some(last), last + Duration::minutes(9)),
            Some(last + Duration::minutes(10))
        );
        assert_eq!(
            p.locked_until(failures, Some(last), last + Duration::minutes(10)),
            None
        );
        assert_eq!(
            p.failures_after_failure(failures, Some(last), last + Duration::minutes(11)),
            1,
            "a lock that ran out starts the count again"
        );
    }
}

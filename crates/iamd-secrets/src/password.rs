//! GetRandomPassword
//! (<https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html>):
//! lowercase, uppercase, digits and the 32 punctuation characters by default, a space only on
//! request, `ExcludeCharacters` removed from every set, and with `RequireEachIncludedType` (the
//! default) at least one character of every set that is still non-empty.

use crate::error::{Error, SecretsError};
use iamd_crypto::random_fill;
use zeroize::Zeroizing;

/// The punctuation AWS documents for GetRandomPassword.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

#[derive(Debug, Clone)]
pub struct PasswordSpec {
    pub length: usize,
    pub exclude_characters: String,
    pub exclude_numbers: bool,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    pub exclude_lowercase: bool,
    pub include_space: bool,
    pub require_each_included_type: bool,
}

impl Default for PasswordSpec {
    fn default() -> Self {
        Self {
            length: 32,
            exclude_characters: String::new(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each_included_type: true,
        }
    }
}

/// A uniformly random index below `n` (rejection sampling over random bytes).
/// The `i`-th character of `set`, `i` drawn below its length.
fn pick(set: &[char], i: usize) -> Result<char, Error> {
    set.get(i)
        .copied()
        .ok_or_else(|| Error::Internal("a random index past its character set".into()))
}

fn random_below(n: usize) -> Result<usize, Error> {
    debug_assert!(n > 0 && n <= 256);
    let limit = 256 - (256 % n);
    loop {
        let mut b = [0u8; 1];
        random_fill(&mut b)?;
        let v = usize::from(b[0]);
        if v < limit {
            return Ok(v % n);
        }
    }
}

pub fn generate(spec: &PasswordSpec) -> Result<Zeroizing<String>, Error> {
    let keep = |c: &char| !spec.exclude_characters.contains(*c);
    let mut sets: Vec<Vec<char>> = Vec::new();
    if !spec.exclude_lowercase {
        sets.push(('a'..='z').filter(keep).collect());
    }
    if !spec.exclude_uppercase {
        sets.push(('A'..='Z').filter(keep).collect());
    }
    if !spec.exclude_numbers {
        sets.push(('0'..='9').filter(keep).collect());
    }
    if !spec.exclude_punctuation {
        sets.push(PUNCTUATION.chars().filter(keep).collect());
    }
    if spec.include_space {
        sets.push([' '].into_iter().filter(keep).collect());
    }
    sets.retain(|s| !s.is_empty());
    let all: Vec<char> = sets.iter().flatten().copied().collect();
    if all.is_empty() {
        // [open] AWS's text for "every character excluded" is not recorded anywhere we found.
        return Err(SecretsError::AllCharactersExcluded.into());
    }
    let required = if spec.require_each_included_type {
        sets.len()
    } else {
        0
    };
    if spec.length < required {
        // Text as moto reports it; unverified against AWS.
        return Err(SecretsError::PasswordTooShort.into());
    }
    let mut chars: Zeroizing<Vec<char>> = Zeroizing::new(Vec::with_capacity(spec.length));
    for set in sets.iter().take(required) {
        chars.push(pick(set, random_below(set.len())?)?);
    }
    while chars.len() < spec.length {
        chars.push(pick(&all, random_below_large(all.len())?)?);
    }
    // Shuffle so the required characters are not always first (Fisher–Yates).
    for i in (1..chars.len()).rev() {
        let j = random_below_large(i + 1)?;
        chars.swap(i, j);
    }
    Ok(Zeroizing::new(chars.iter().collect()))
}

/// Like [`random_below`] for any `n` up to `u32::MAX`.
fn random_below_large(n: usize) -> Result<usize, Error> {
    if n <= 256 {
        return random_below(n);
    }
    let n32 = u32::try_from(n).map_err(|_| Error::Internal("range too large".into()))?;
    let limit = u32::MAX - (u32::MAX % n32);
    loop {
        let mut b = [0u8; 4];
        random_fill(&mut b)?;
        let v = u32::from_le_bytes(b);
        if v < limit {
            return Ok((v % n32) as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_options() {
        let p = generate(&PasswordSpec::default()).unwrap();
        assert_eq!(p.chars().count(), 32);
        for _ in 0..50 {
            let p = generate(&PasswordSpec {
                length: 4,
                ..Default::default()
            })
            .unwrap();
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| c.is_ascii_uppercase()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
            assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
        }
        let p = generate(&PasswordSpec {
            length: 200,
            exclude_punctuation: true,
            exclude_uppercase: true,
            exclude_characters: "abc0".into(),
            ..Default::default()
        })
        .unwrap();
        assert!(
            p.chars()
                .all(|c| (c.is_ascii_lowercase() || c.is_ascii_digit()) && !"abc0".contains(c))
        );
        let p = generate(&PasswordSpec {
            length: 50,
            include_space: true,
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_numbers: true,
            exclude_punctuation: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.as_str(), " ".repeat(50));
        // Two required types cannot fit in one character; without the requirement they can.
        assert!(
            generate(&PasswordSpec {
                length: 1,
                exclude_punctuation: true,
                exclude_uppercase: true,
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            generate(&PasswordSpec {
                length: 1,
                require_each_included_type: false,
                ..Default::default()
            })
            .is_ok()
        );
        assert!(
            generate(&PasswordSpec {
                exclude_lowercase: true,
                exclude_uppercase: true,
                exclude_numbers: true,
                exclude_punctuation: true,
                ..Default::default()
            })
            .is_err()
        );
    }
}

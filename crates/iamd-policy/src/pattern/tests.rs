use super::*;

struct Src;
impl VarSource for Src {
    fn var(&self, key: &str) -> Option<Cow<'_, str>> {
        match key {
            "aws:username" => Some(Cow::Borrowed("alice")),
            "aws:principaltag/team" => Some(Cow::Borrowed("a*b")),
            _ => None,
        }
    }
}

#[test]
fn glob_basics() {
    assert!(Glob::new("*").matches(""));
    assert!(Glob::new("a*").matches("abc"));
    assert!(Glob::new("a?c").matches("abc"));
    assert!(!Glob::new("a?c").matches("ac"));
    assert!(Glob::new("bucket/*/test/*").matches("bucket/1/2/test/3/x"));
    assert!(!Glob::new("bucket/*/test/*").matches("bucket/1/2/tes/3"));
    assert!(Glob::new("*a*a*a*b").matches("aaaaaaaaaaaaaaaaab"));
    assert!(!Glob::new("*a*a*a*b").matches("aaaaaaaaaaaaaaaaaa"));
    assert!(Glob::new("?é*").matches("xé"));
    assert!(!Glob::new("abc").matches("ABC"));
}

/// The definition, as a table over (pattern prefix, text prefix): slow and obviously
/// right. `*` any run of characters, `?` one character, anything else itself.
fn reference(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = text.chars().collect();
    // m[j]: the pattern's first i characters match the text's first j
    let mut m = vec![false; s.len() + 1];
    m[0] = true;
    for pc in &p {
        let mut next = vec![false; s.len() + 1];
        for j in 0..=s.len() {
            next[j] = match pc {
                '*' => m[j] || (j > 0 && next[j - 1]),
                '?' => j > 0 && m[j - 1],
                c => j > 0 && m[j - 1] && s[j - 1] == *c,
            };
        }
        m = next;
    }
    m[s.len()]
}

/// Patterns of the shapes that defeat a backtracking matcher, at the sizes a policy and an
/// ARN allow, answered as the definition answers (on smaller copies, where the reference
/// is quick).
#[test]
fn adversarial_shapes_match_as_defined() {
    let a = |n: usize| "a".repeat(n);
    let cases: Vec<(String, String)> = vec![
        (format!("{}b", "*a".repeat(40)), a(100)),
        (format!("{}b", "*a".repeat(40)), format!("{}b", a(100))),
        (format!("*{}b", "?".repeat(40)), a(100)),
        (format!("*{}b", "?".repeat(40)), format!("{}b", a(100))),
        (
            format!("*{}b", "?".repeat(40)),
            format!("{}b{}", a(100), a(39)),
        ),
        (format!("*{}b", "a?".repeat(20)), a(100)),
        (format!("*{}b", "a?".repeat(20)), format!("{}b", a(100))),
        (format!("{}b", "*?a".repeat(30)), format!("{}b", a(100))),
        (format!("{}*", "?".repeat(100)), a(100)),
        (format!("{}*", "?".repeat(101)), a(100)),
        ("?*?".to_owned(), "é".to_owned()),
        ("?*?".to_owned(), "éé".to_owned()),
        ("a*é?".to_owned(), "aéé".to_owned()),
        ("*é*é".to_owned(), "xéyé".to_owned()),
        ("ab*b".to_owned(), "ab".to_owned()),
        ("ab*b".to_owned(), "abb".to_owned()),
        ("a*a".to_owned(), "a".to_owned()),
        ("*aa*aa*".to_owned(), "aaa".to_owned()),
        ("*aa*aa*".to_owned(), "aaaa".to_owned()),
    ];
    for (p, s) in &cases {
        assert_eq!(Glob::new(p).matches(s), reference(p, s), "{p} vs {s}");
    }
    // at full size (2 KiB pattern, 2 KiB text): the answers the shapes must give
    let big = a(2048);
    assert!(!Glob::new(&format!("{}b", "*a".repeat(1000))).matches(&big));
    assert!(Glob::new(&format!("{}a", "*a".repeat(1000))).matches(&big));
    assert!(!Glob::new(&format!("*{}b", "?".repeat(1000))).matches(&big));
    assert!(Glob::new(&format!("*{}a", "?".repeat(1000))).matches(&big));
    assert!(!Glob::new(&format!("*{}b", "a?".repeat(500))).matches(&big));
    assert!(Glob::new(&"*?a".repeat(680)).matches(&big));
    assert!(!Glob::new(&format!("{}b", "*?a".repeat(680))).matches(&big));
    assert!(!Glob::new(&format!("*{}", "?".repeat(2049))).matches(&big));
    assert!(Glob::new(&format!("*{}", "?".repeat(2048))).matches(&big));
    // hand-built token lists with adjacent literals mean their concatenation
    let hand = Glob::Tokens(vec![
        Tok::Star,
        Tok::Lit("a".into()),
        Tok::Lit("b".into()),
        Tok::Star,
    ]);
    assert!(hand.matches("xxabyy"));
    assert!(!hand.matches("xxa-byy"));
    let hand = Glob::Tokens(vec![Tok::Lit("a".into()), Tok::Lit("b".into()), Tok::Star]);
    assert!(hand.matches("abc") && !hand.matches("ac"));
}

/// Each of the three algorithms alone (the matcher picks one by the pattern's shape and a
/// step budget, so random small inputs would mostly exercise one of them), on the raw and
/// the merged token lists.
fn check_each_algorithm(p: &str, s: &str) -> Result<(), proptest::test_runner::TestCaseError> {
    let want = reference(p, s);
    let mut raw = Vec::new();
    push_wild(&mut raw, p);
    let merged = match Glob::from_tokens(raw.clone()) {
        Glob::Tokens(t) => t,
        _ => raw.clone(),
    };
    for t in [&raw, &merged] {
        proptest::prop_assert_eq!(match_bits(t, s), want, "bits: {} vs {}", p, s);
        proptest::prop_assert_eq!(match_backtracking(t, s, usize::MAX), Some(want));
        if !t.iter().any(|t| matches!(t, Tok::One)) {
            proptest::prop_assert_eq!(match_segments(t, s), want, "segments: {} vs {}", p, s);
        }
    }
    Ok(())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]

    /// The matcher agrees with the definition on random patterns and texts over a small
    /// alphabet (so that matches are frequent), with a multibyte character and both
    /// cases in it.
    #[test]
    fn glob_agrees_with_the_definition(
        p in "[ab*?éA]{0,12}",
        s in "[abéA]{0,16}",
    ) {
        proptest::prop_assert_eq!(Glob::new(&p).matches(&s), reference(&p, &s), "{} vs {}", p, s);
        proptest::prop_assert_eq!(
            Glob::from_string(p.clone()).matches(&s),
            reference(&p, &s)
        );
        // actions: the lowercase pattern against the text, ASCII case ignored
        let lower = p.to_ascii_lowercase();
        let want = reference(&lower, &s.to_ascii_lowercase());
        proptest::prop_assert_eq!(Glob::new(&lower).matches_ignore_ascii_case(&s), want);
        let g = ActionGlob::new(lower.clone());
        proptest::prop_assert_eq!(g.matches_lower(LowerBytes::new(&s).as_bytes()), want);
        check_each_algorithm(&p, &s)?;
    }

    /// Longer texts with runs, where greedy choices could go wrong.
    #[test]
    fn glob_agrees_on_runs(
        p in "(a|b|\\*|\\?|aa|\\*a|a\\?){0,10}",
        s in "(a|b|aaaa|ab){0,12}",
    ) {
        proptest::prop_assert_eq!(Glob::new(&p).matches(&s), reference(&p, &s), "{} vs {}", p, s);
        check_each_algorithm(&p, &s)?;
    }

    /// Patterns of more than 64 units (several words of state), on texts that get that far.
    #[test]
    fn glob_agrees_beyond_one_word(
        head in "[a?]{60,70}",
        tail in "[ab*?]{0,8}",
        s in "a{55,90}[ab]{0,4}",
    ) {
        let p = format!("{head}{tail}");
        proptest::prop_assert_eq!(Glob::new(&p).matches(&s), reference(&p, &s), "{} vs {}", p, s);
        check_each_algorithm(&p, &s)?;
    }
}

#[test]
fn action_probes_never_reject_a_match() {
    let actions = [
        "s3:GetObject",
        "S3:GETOBJECT",
        "secretsmanager:GetSecretValue",
        "iam:x",
        "",
        "a",
        "ÉÀ:getÀ",
    ];
    let patterns = [
        "s3:getobject",
        "s3:get*",
        "s3:g?t*",
        "*",
        "s3:*object",
        "secretsmanager:getsecret*",
        "secretsmanager:describe*",
        "iam:x",
        "iam:?",
        "a",
        "ÉÀ:get*",
    ];
    for a in actions {
        let long = a.repeat(20);
        for x in [a, long.as_str()] {
            let lower = LowerBytes::new(x);
            assert_eq!(lower.as_bytes(), x.to_ascii_lowercase().as_bytes());
            for p in patterns {
                let p = p.to_ascii_lowercase();
                let g = ActionGlob::new(p.clone());
                let full = Glob::new(&p).matches_ignore_ascii_case(x);
                assert_eq!(g.matches_lower(lower.as_bytes()), full, "{p} vs {x}");
                if full {
                    assert!(g.probe().passes_lower(lower.as_bytes()), "{p} vs {x}");
                }
            }
        }
    }
    let probe = |p: &str, a: &str| {
        ActionGlob::new(p.to_owned())
            .probe()
            .passes_lower(LowerBytes::new(a).as_bytes())
    };
    assert!(!probe(
        "secretsmanager:describe*",
        "secretsmanager:GetSecretValue"
    ));
    assert!(!probe("s3:put1object", "s3:PutXObject"));
    assert!(probe("s3:put1object", "S3:PUT1OBJECT"));
    assert!(ActionProbe::ALWAYS.passes_lower(b""));
}

#[test]
fn glob_shapes() {
    let via_tokens = |t: &str| {
        let mut toks = Vec::new();
        push_wild(&mut toks, t);
        Glob::from_tokens(toks)
    };
    for t in [
        "",
        "*",
        "**",
        "a",
        "a*",
        "a**",
        "*a",
        "a?",
        "?",
        "a*b",
        "é*",
        "a*?",
        "arn:aws:s3:::b/*",
    ] {
        assert_eq!(Glob::new(t), via_tokens(t), "{t}");
        assert_eq!(Glob::from_string(t.to_owned()), via_tokens(t), "{t}");
    }
    assert_eq!(Glob::new("ab*"), Glob::Prefix("ab".into()));
    assert_eq!(Glob::new("ab"), Glob::Exact("ab".into()));
    assert_eq!(Glob::new("*"), Glob::All);
    assert_eq!(
        via_tokens("a?b*"),
        Glob::Tokens(vec![
            Tok::Lit("a".into()),
            Tok::One,
            Tok::Lit("b".into()),
            Tok::Star
        ])
    );
    let t = Template::new("a*${$}", true);
    assert_eq!(t.resolve(&Src).unwrap(), "a*$");
    for (text, want) in [
        ("ab", "ab"),
        ("a*", "a*"),
        ("a?b", "a?b"),
        ("a${$}b", "a$b"),
        ("*", "*"),
    ] {
        let t = Template::new(text, true);
        assert!(!t.has_vars());
        assert_eq!(t.resolve(&Src).unwrap(), want, "{text}");
    }
    assert_eq!(
        Template::new("${aws:username, 'x,y'}", true)
            .resolve(&Src)
            .unwrap(),
        "alice"
    );
    assert_eq!(
        Template::new("${aws:nobody, 'x,y'}", true)
            .resolve(&Src)
            .unwrap(),
        "x,y"
    );
    for text in ["ab", "a*", "a?b*c", "a${*}b", "*", "", "x${?}"] {
        let full = Template::new(text, true);
        let glob_only = Template::for_glob(text, true);
        assert_eq!(glob_only.resolve(&Src), full.resolve(&Src), "{text}");
        assert_eq!(glob_only.glob(&Src), full.glob(&Src), "{text}");
    }
    let t = Template::new("a*b", true);
    assert!(!t.has_vars());
    assert!(t.glob(&Src).unwrap().matches("axxb"));
}

#[test]
fn templates() {
    let t = Template::new("home/${aws:username}/*", true);
    assert!(t.glob(&Src).unwrap().matches("home/alice/x"));
    assert!(!t.glob(&Src).unwrap().matches("home/bob/x"));
    let t = Template::new("${AWS:PrincipalTag/team}", true);
    // substituted values are literal, not wildcards
    assert!(t.glob(&Src).unwrap().matches("a*b"));
    assert!(!t.glob(&Src).unwrap().matches("axxb"));
    let t = Template::new("${aws:missing}", true);
    assert!(t.resolve(&Src).is_none());
    let t = Template::new("${aws:missing, 'dflt'}", true);
    assert_eq!(t.resolve(&Src).unwrap(), "dflt");
    let t = Template::new("a${*}b${?}${$}", true);
    assert_eq!(t.resolve(&Src).unwrap(), "a*b?$");
    assert!(t.glob(&Src).unwrap().matches("a*b?$"));
    assert!(!t.glob(&Src).unwrap().matches("axb?$"));
    // 2008-10-17: variables are literal text
    let t = Template::new("${aws:username}", false);
    assert_eq!(t.resolve(&Src).unwrap(), "${aws:username}");
    let t = Template::new("${ aws:username }", true);
    assert_eq!(t.resolve(&Src).unwrap(), "alice");
}

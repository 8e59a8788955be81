use super::*;
use crate::pattern::LowerBytes;

#[test]
fn service_bits_agree_with_service_bit() {
    for p in ["s3:GetObject", "S3:get*", "secretsmanager:X", "iam:?"] {
        assert_eq!(service_bits([p].into_iter(), false), service_bit(p), "{p}");
    }
    assert_eq!(
        service_bits(["s3:a", "iam:b"].into_iter(), false),
        service_bit("s3:x") | service_bit("iam:y")
    );
    for p in ["*", "s*:GetObject", "s?:x", "nocolon"] {
        assert_eq!(service_bits([p].into_iter(), false), u64::MAX, "{p}");
    }
    assert_eq!(service_bits(["s3:a"].into_iter(), true), u64::MAX);
}

#[test]
fn policy_prefilter_never_hides_a_matching_statement() {
    let actions = [
        "s3:GetObject",
        "S3:PUTOBJECT",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "iam:CreateUser",
        "iam:x",
        "a:b",
        "ec2:DescribeInstances",
    ];
    let patterns = [
        r#""s3:GetObject""#,
        r#"["s3:put*","iam:?"]"#,
        r#""secretsmanager:Get*Value""#,
        r#""*""#,
        r#""*:GetObject""#,
        r#"["ec2:Describe*","a:b"]"#,
        r#""iam:Create*""#,
    ];
    for (i, pat) in patterns.iter().enumerate() {
        for not in [false, true] {
            let key = if not { "NotAction" } else { "Action" };
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","{key}":{pat},"Resource":"*"}}]}}"#
            );
            let p = Policy::parse(&text, PolicyKind::Identity).unwrap();
            for a in actions {
                let lower = LowerBytes::new(a);
                let hit = p
                    .statements()
                    .iter()
                    .any(|st| st.action_matches_lower(lower.as_bytes()));
                if hit {
                    assert!(p.may_match_action(lower.as_bytes()), "{i} {key} {a}");
                }
            }
        }
    }
    let p = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:Put*"],"Resource":"*"}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    assert!(!p.may_match_action(LowerBytes::new("iam:CreateUser").as_bytes()));
    assert!(p.may_match_action(LowerBytes::new("s3:PutObjectAcl").as_bytes()));
}

#[test]
fn split6_is_splitn() {
    for s in [
        "",
        "a",
        "a:b",
        "arn:aws:s3:::b:c:d",
        "a:b:c:d:e:f:g",
        "é:::",
        ":::::",
    ] {
        let (parts, n) = split6(s);
        let want: Vec<&str> = s.splitn(6, ':').collect();
        assert_eq!(&parts[..n], want.as_slice(), "{s}");
        assert!(parts[n..].iter().all(|p| p.is_empty()));
    }
}

#[test]
fn statement_positions_agree_with_statement_position() {
    let text = "{\"Version\":\"2012-10-17\",\n \"Statement\":[\n  {\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},\n  {\"Effect\":\"Deny\",\"Action\":\"s3:*\",\n\"Resource\":\"arn:aws:s3:::é/*\"}, {\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
    let p = Policy::parse(text, PolicyKind::Identity).unwrap();
    let all = p.statement_positions();
    assert_eq!(all.len(), 3);
    for (i, pos) in all.iter().enumerate() {
        assert_eq!(Some(*pos), p.statement_position(i), "statement {i}");
    }
}

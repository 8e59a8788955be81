#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Generated tables and pattern translation.

use iamd_api::validate::pattern_regex;
use iamd_api::{Protocol, Service, ShapeKind, Value, decode_json, decode_query};

#[test]
fn service_metadata() {
    assert_eq!(Service::from_signing_name("iam"), Some(Service::Iam));
    assert_eq!(Service::from_signing_name("sts"), Some(Service::Sts));
    assert_eq!(
        Service::from_signing_name("secretsmanager"),
        Some(Service::SecretsManager)
    );
    assert_eq!(Service::from_signing_name("s3"), None);
    assert_eq!(Service::Iam.api_version(), "2010-05-08");
    assert_eq!(Service::Sts.api_version(), "2011-06-15");
    assert_eq!(Service::SecretsManager.api_version(), "2017-10-17");
    assert_eq!(
        Service::from_signing_name("cloudtrail"),
        Some(Service::CloudTrail)
    );
    assert_eq!(Service::CloudTrail.api_version(), "2013-11-01");
    assert_eq!(Service::CloudTrail.protocol(), Protocol::Json11);
    assert_eq!(
        Service::CloudTrail.json_target_prefix(),
        Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101")
    );
    assert_eq!(Service::Sts.protocol(), Protocol::Query);
    assert_eq!(Service::SecretsManager.protocol(), Protocol::Json11);
    assert_eq!(
        Service::SecretsManager.json_target_prefix(),
        Some("secretsmanager")
    );
    assert_eq!(
        Service::Iam.xml_namespace(),
        Some("https://iam.amazonaws.com/doc/2010-05-08/")
    );
}

#[test]
fn generated_from_pinned_botocore() {
    assert_eq!(iamd_api::generated::iam::BOTOCORE_VERSION, "1.44.5");
    assert_eq!(iamd_api::generated::sts::PROTOCOL, "query");
    assert_eq!(iamd_api::generated::secretsmanager::PROTOCOL, "json");
}

#[test]
fn all_operations_present_and_sorted() {
    // botocore 1.44.5: IAM 180, STS 11, Secrets Manager 26 operations.
    assert_eq!(Service::Iam.operations().len(), 180);
    assert_eq!(Service::Sts.operations().len(), 11);
    assert_eq!(Service::SecretsManager.operations().len(), 26);
    assert_eq!(Service::CloudTrail.operations().len(), 60);
    for s in Service::ALL {
        let ops = s.operations();
        assert!(ops.windows(2).all(|w| w[0].name < w[1].name));
        for op in ops {
            assert_eq!(s.operation(op.name).unwrap().name, op.name);
            assert_eq!(op.service, s);
            if s.protocol() == Protocol::Query && op.output.is_some() {
                assert_eq!(
                    op.result_wrapper.map(str::to_owned),
                    Some(format!("{}Result", op.name))
                );
            }
        }
        let shapes = s.shapes();
        assert!(shapes.windows(2).all(|w| w[0].name < w[1].name));
    }
    let op = Service::Sts.operation("AssumeRole").unwrap();
    let errs: Vec<&str> = op.error_codes().collect();
    assert!(errs.contains(&"MalformedPolicyDocument") && errs.contains(&"RegionDisabledException"));
    let shape = op.input_shape().unwrap();
    let m = shape.member("DurationSeconds").unwrap();
    let t = Service::Sts.shape(m.target).unwrap();
    assert_eq!(
        (t.kind, t.min, t.max),
        (ShapeKind::Integer, Some(900), Some(43200))
    );
}

/// Model patterns that cannot be expressed in Rust `regex` syntax and are therefore not enforced.
const UNTRANSLATABLE: &[(Service, &str)] = &[
    // look-ahead `(?!-)` (IAM organization/delegation names)
    (Service::Iam, "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"),
    // surrogate code points (\uD800, \uDC00-\uDBFF, \uDFFF) in a class: Rust strings and
    // `regex` have none (CloudTrail's XML-character patterns, on members of operations iamd does
    // not serve).
    (
        Service::CloudTrail,
        "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*",
    ),
];

#[test]
fn every_pattern_compiles_except_listed() {
    for s in Service::ALL {
        for (i, p) in s.patterns().iter().enumerate() {
            let listed = UNTRANSLATABLE.contains(&(s, p.java));
            let rx = pattern_regex(s, i as u16);
            assert_eq!(
                rx.is_none(),
                listed,
                "{s:?} pattern {:?} -> {:?}",
                p.java,
                p.rust
            );
        }
    }
}

#[test]
fn pattern_semantics_follow_java() {
    let idx =
        |s: Service, java: &str| s.patterns().iter().position(|p| p.java == java).unwrap() as u16;
    // Java \w is ASCII-only: 'é' does not match [\w+=,.@-]+ (Rust's Unicode \w would).
    let rx = pattern_regex(Service::Iam, idx(Service::Iam, r"[\w+=,.@-]+")).unwrap();
    assert!(rx.is_match("Role_1+=,.@-"));
    assert!(!rx.is_match("rôle"));
    assert!(!rx.is_match("a b"));
    // Whole-value match (Java Matcher.matches), not a search.
    assert!(!rx.is_match("ok/notok"));
    // \p{L} classes are Unicode in both.
    let rx = pattern_regex(
        Service::Iam,
        idx(Service::Iam, r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"),
    )
    .unwrap();
    assert!(rx.is_match("tëst 1"));
    assert!(!rx.is_match("#"));
    // \uXXXX escapes.
    let rx = pattern_regex(
        Service::Iam,
        idx(Service::Iam, r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"),
    )
    .unwrap();
    assert!(rx.is_match("/") && rx.is_match("/a/b/") && !rx.is_match("a/") && !rx.is_match("/ /"));
}

#[test]
fn every_operation_decodes_empty_input_without_panicking() {
    for s in Service::ALL {
        for op in s.operations() {
            let r = match s.protocol() {
                Protocol::Query => decode_query(
                    s,
                    &[
                        ("Action".to_string(), op.name.to_string()),
                        ("Version".to_string(), s.api_version().to_string()),
                    ],
                ),
                Protocol::Json11 => decode_json(
                    s,
                    &format!("{}.{}", s.json_target_prefix().unwrap(), op.name),
                    b"",
                ),
            };
            match r {
                Ok((o, v)) => {
                    assert_eq!(o.name, op.name);
                    assert_eq!(v, Value::empty());
                }
                Err(e) => {
                    assert!(
                        e.code == "ValidationError" || e.code == "ValidationException",
                        "{e:?}"
                    );
                    assert!(e.message.contains("Member must not be null"), "{e:?}");
                }
            }
        }
    }
}

#[test]
fn value_accessors_and_builder() {
    let v = Value::builder()
        .set("A", "x")
        .set("B", 3)
        .set("C", true)
        .set_opt::<&str>("D", None)
        .set("E", vec![Value::from("p"), Value::from("q")])
        .set("F", Value::builder().set("G", 1.5))
        .set("A", "y")
        .build();
    assert_eq!(v.str("A"), Some("y"));
    assert_eq!(v.i64("B"), Some(3));
    assert_eq!(v.bool("C"), Some(true));
    assert!(!v.has("D"));
    assert_eq!(v.strings("E"), vec!["p", "q"]);
    assert_eq!(v.structure("F").and_then(|f| f.f64("G")), Some(1.5));
    assert_eq!(v.str("B"), None);
    assert_eq!(v.structure("A"), None);
    let l: Value = ["a", "b"].into_iter().collect();
    assert_eq!(l.as_list().map(<[Value]>::len), Some(2));
}

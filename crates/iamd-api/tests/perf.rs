#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Per-request cost smoke measurement (not a test of correctness). Run with
//! `cargo test -p iamd-api --test perf -- --ignored --nocapture` (numbers are only meaningful
//! with optimizations, e.g. `--config 'profile.dev.package."*".opt-level=3'`).

use std::hint::black_box;
use std::time::Instant;

use iamd_api::{
    Service, Value, decode_json, decode_query, encode_json_response, encode_query_response,
    parse_form,
};

fn time<F: FnMut()>(name: &str, n: u32, mut f: F) {
    for _ in 0..n / 10 {
        f();
    }
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let ns = t.elapsed().as_nanos() / u128::from(n);
    println!("{name:<40} {ns:>8} ns/op");
}

#[test]
#[ignore]
fn perf_smoke() {
    let n = 200_000;
    let gci = b"Action=GetCallerIdentity&Version=2011-06-15";
    let op = Service::Sts.operation("GetCallerIdentity").unwrap();
    let out = Value::builder()
        .set("UserId", "AIDAEXAMPLE")
        .set("Account", "000000000000")
        .set("Arn", "arn:aws:iam::000000000000:root")
        .build();
    time("sts GetCallerIdentity decode", n, || {
        let p = parse_form(black_box(gci));
        black_box(decode_query(Service::Sts, &p).unwrap());
    });
    time("sts GetCallerIdentity encode", n, || {
        black_box(encode_query_response(
            Service::Sts,
            op,
            black_box(&out),
            "5d2d1c3e-7a52-4d0a-9f53-111111111111",
        ));
    });
    let ar = b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=3600&Tags.member.1.Key=k&Tags.member.1.Value=v";
    time("sts AssumeRole decode+validate", n, || {
        let p = parse_form(black_box(ar));
        black_box(decode_query(Service::Sts, &p).unwrap());
    });
    let cs = br#"{"Name":"prod/db","SecretString":"hunter2","ClientRequestToken":"0123456789abcdef0123456789abcdef"}"#;
    time("sm CreateSecret decode+validate", n, || {
        black_box(
            decode_json(
                Service::SecretsManager,
                "secretsmanager.CreateSecret",
                black_box(cs),
            )
            .unwrap(),
        );
    });
    let op = Service::SecretsManager.operation("CreateSecret").unwrap();
    let out = Value::builder()
        .set(
            "ARN",
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-AbCdEf",
        )
        .set("Name", "prod/db")
        .set("VersionId", "0123456789abcdef0123456789abcdef")
        .build();
    time("sm CreateSecret encode", n, || {
        black_box(encode_json_response(op, black_box(&out)));
    });
}

//! `hookline-cli check-config`: the function's configuration, read in a
//! shell as a cold start reads it.

use std::process::{Command, Output};

const QUEUE: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/hooks";

fn check_config(env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hookline-cli"))
        .arg("check-config")
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("hookline-cli runs")
}

#[test]
fn a_good_configuration_lists_what_is_served() {
    let sources = r#"{"sources":[
        {"name":"billing","scheme":"standard-webhooks","secrets":["env:BILLING_SECRET"]},
        {"name":"stock","scheme":"bracken","secrets":["secretsmanager:hookline/stock"]}
    ]}"#;
    let output = check_config(&[
        ("HOOKLINE_SOURCES", sources),
        ("BILLING_SECRET", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
        ("QUEUE_URL", QUEUE),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("billing (standard-webhooks)"), "{stdout}");
    assert!(stdout.contains("stock (bracken)"), "{stdout}");
}

#[test]
fn a_bad_configuration_names_the_variable_in_one_line_and_fails() {
    let secret = "hunter2-but-no-colon";
    let output = check_config(&[
        ("WEBHOOK_SCHEME", "basic"),
        ("WEBHOOK_SECRET", secret),
        ("QUEUE_URL", QUEUE),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: WEBHOOK_SECRET"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
}

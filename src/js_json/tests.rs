use super::restringify;

fn node(text: &str) -> Option<String> {
    restringify(text.as_bytes()).map(|out| String::from_utf8(out).expect("output is UTF-8"))
}

#[test]
fn compact_documents_are_unchanged() {
    for doc in [
        r#"{"a":1,"b":[true,false,null],"c":"x"}"#,
        "[]",
        "{}",
        "0",
        r#""s""#,
    ] {
        assert_eq!(node(doc).as_deref(), Some(doc));
    }
}

#[test]
fn whitespace_is_dropped() {
    assert_eq!(
        node(" {\n\t\"a\" : [ 1 , 2 ] }\r\n").as_deref(),
        Some(r#"{"a":[1,2]}"#)
    );
}

// Expected outputs below were produced by `node -e 'JSON.stringify(JSON.parse(...))'`.
#[test]
fn numbers_print_as_javascript_does() {
    let cases = [
        ("1.0", "1"),
        ("-0", "0"),
        ("-0.0e5", "0"),
        ("1e21", "1e+21"),
        ("1e20", "100000000000000000000"),
        ("1e-7", "1e-7"),
        ("0.000001", "0.000001"),
        ("12345678901234567890", "12345678901234567000"),
        ("9007199254740993", "9007199254740992"),
        ("1e400", "null"),
        ("-1e400", "null"),
        ("5e-324", "5e-324"),
        ("0.1", "0.1"),
        ("1.5E+3", "1500"),
        ("123.456e-2", "1.23456"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
    ];
    for (input, want) in cases {
        assert_eq!(node(input).as_deref(), Some(want), "{input}");
    }
}

#[test]
fn keys_order_like_a_javascript_object() {
    assert_eq!(
        node(r#"{"b":1,"2":2,"a":3,"1":4,"01":5,"4294967294":6,"4294967295":7,"-1":8,"0":9}"#)
            .as_deref(),
        Some(r#"{"0":9,"1":4,"2":2,"4294967294":6,"b":1,"a":3,"01":5,"4294967295":7,"-1":8}"#)
    );
}

#[test]
fn duplicate_keys_keep_first_place_and_last_value() {
    assert_eq!(
        node(r#"{"a":1,"b":2,"a":3}"#).as_deref(),
        Some(r#"{"a":3,"b":2}"#)
    );
    assert_eq!(
        node(r#"{"a":1,"\u0061":2}"#).as_deref(),
        Some(r#"{"a":2}"#),
        "escaped spelling is the same key"
    );
}

#[test]
fn strings_escape_as_javascript_does() {
    let cases = [
        (r#""\u00e9\/""#, "\"\u{e9}/\""),
        (r#""\ud83d\ude00""#, "\"\u{1F600}\""),
        (r#""\ud800""#, r#""\ud800""#),
        (r#""\uDC00\uD800x""#, r#""\udc00\ud800x""#),
        (r#""\ud800\ud800\udc00""#, "\"\\ud800\u{10000}\""),
        (
            r#""\u0001\u001F\b\f\n\r\t\"\\""#,
            r#""\u0001\u001f\b\f\n\r\t\"\\""#,
        ),
        ("\"\u{2028}\u{7f}\"", "\"\u{2028}\u{7f}\""),
        (r#""\u2028""#, "\"\u{2028}\""),
    ];
    for (input, want) in cases {
        assert_eq!(node(input).as_deref(), Some(want), "{input}");
    }
}

#[test]
fn what_json_parse_rejects_is_none() {
    for bad in [
        "",
        " ",
        "{",
        "[1,]",
        "{\"a\":1,}",
        "01",
        "1.",
        ".5",
        "+1",
        "-",
        "1e",
        "NaN",
        "Infinity",
        "'a'",
        "\u{feff}{}",
        "\"\t\"",
        "\"\\x\"",
        "\"\\u12\"",
        "{a:1}",
        "[1 2]",
        "tru",
        "nul",
        "{}x",
        "\"abc",
    ] {
        assert_eq!(node(bad), None, "{bad:?}");
    }
    assert_eq!(restringify(b"\"\xff\""), None, "not UTF-8");
}

#[test]
fn depth_is_bounded() {
    let ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
    let over = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert_eq!(node(&over), None);
    assert_eq!(node(&ok).as_deref(), Some(ok.as_str()));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(node(&deep), None);
}

#[test]
fn nested_reordering_objects_cannot_multiply_the_work() {
    // Each level reorders ("0" before "a"), so each would copy everything
    // inside it again: 125 levels around a large array of small objects.
    let depth = 125;
    let mut text = String::new();
    for _ in 0..depth {
        text.push_str(r#"{"0":0,"a":"#);
    }
    text.push('[');
    for n in 0..8000 {
        if n > 0 {
            text.push(',');
        }
        text.push_str(r#"{"1":0,"0":0}"#);
    }
    text.push(']');
    text.push_str(&"}".repeat(depth));
    assert_eq!(
        super::restringify_within(text.as_bytes(), usize::MAX),
        Err(super::Refusal::Invalid)
    );
    // A few levels of the same are fine.
    let shallow =
        r#"{"0":0,"a":{"0":0,"a":[{"1":0,"0":0}]}}"#.replace("{\"0\":0,\"a\":", "{\"a\":1,\"0\":");
    assert!(super::restringify(shallow.as_bytes()).is_some());
}

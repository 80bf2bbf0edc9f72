//! Rendering on `TestBackend` at 80×24 and 160×48: text at places, styles from the theme.

use super::{Harness, find, screen};
use crate::tui::theme::Role;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

#[test]
fn frame_shows_header_crumbs_and_hints_from_the_keymap() {
    let h = Harness::new();
    for (w, hh) in SIZES {
        let buf = h.render(w, hh);
        let text = screen(&buf);
        assert_eq!(
            find(&buf, " gwtui ").map(|p| p.1),
            Some(0),
            "header on row 0\n{text}"
        );
        assert!(
            find(&buf, "PetStore (a1b2c3d4e5)").is_some_and(|p| p.1 == 0),
            "{text}"
        );
        assert!(
            find(&buf, "127.0.0.1:4566").is_some_and(|p| p.1 == 0 || w < 100),
            "{text}"
        );
        assert_eq!(
            find(&buf, "<apis>").map(|p| p.1),
            Some(1),
            "crumbs on row 1"
        );
        let (x, y) = find(&buf, "<:>").expect("hints");
        assert!(y >= hh - 2, "hints at the bottom");
        assert_eq!(
            buf[(x, y)].fg,
            h.app.theme.get(Role::HintKey).fg.unwrap_or_default()
        );
        assert!(text.contains("<i> import file"), "view hints first\n{text}");
        // APIs table: header, selected row style
        let (hx, hy) = find(&buf, "ENDPOINT").expect("table header");
        assert_eq!(
            buf[(hx, hy)].fg,
            h.app.theme.get(Role::TableHeader).fg.unwrap_or_default()
        );
        let (sx, sy) = find(&buf, "●a1b2c3d4e5").expect("row");
        assert_eq!(
            buf[(sx, sy)].bg,
            h.app.theme.get(Role::TableSelected).bg.unwrap_or_default()
        );
    }
}

#[test]
fn too_small_terminals_get_a_clear_message() {
    let h = Harness::new();
    for (w, hh) in [(79, 24), (80, 23), (40, 10)] {
        let text = screen(&h.render(w, hh));
        assert!(text.contains("terminal too small"), "{w}x{hh}\n{text}");
        assert!(text.contains("need at least 80×24"));
    }
}

#[test]
fn every_view_renders_its_content_at_both_sizes() {
    let cases: [(&str, &[&str]); 8] = [
        ("1", &["APIs [1]", "LAST DEPLOYMENT"]),
        ("2", &["PetStore resources", "/pets", "execution path"]),
        ("3", &["stages [2]", "variables", "method settings"]),
        ("4", &["deployments [2]", "dep002", "add POST"]),
        ("5", &["canary of dev", "BASE", "CANARY"]),
        (
            "6",
            &[
                "Count",
                "Latency",
                "IntegrationLatency",
                "4XX",
                "5XX",
                "Cache hit/miss",
            ],
        ),
        ("7", &["logs [0]"]),
        ("8", &["usage plans [1]", "API keys [2]", "250/1000"]),
    ];
    for (key, needles) in cases {
        let mut h = Harness::new();
        let e = h.press(key);
        h.settle(e);
        for (w, hh) in SIZES {
            let buf = h.render(w, hh);
            let text = screen(&buf);
            for n in needles {
                assert!(
                    text.contains(n),
                    "view {key} at {w}x{hh} lacks {n:?}\n{text}"
                );
            }
        }
    }
}

#[test]
fn resources_detail_shows_the_execution_path() {
    let mut h = Harness::new();
    h.press("2 l l j");
    let text = screen(&h.render(160, 48));
    for n in [
        "Method request",
        "Integration request",
        "Integration ",
        "Integration response",
        "Method response",
    ] {
        assert!(text.contains(n), "{n}\n{text}");
    }
    assert!(text.contains("GET http://petstore.example/pets"));
    assert!(text.contains("29000 ms"));
}

#[test]
fn editor_colours_vtl_and_notes_it_is_not_live() {
    let mut h = Harness::new();
    h.press("2 l l j j l j enter");
    for (w, hh) in SIZES {
        let buf = h.render(w, hh);
        let text = screen(&buf);
        assert!(text.contains("not live until deployed"), "{text}");
        assert!(text.contains("template parses"));
        let (x, y) = find(&buf, "#if").expect("directive");
        assert_eq!(
            buf[(x + 1, y)].fg,
            h.app.theme.get(Role::VtlDirective).fg.unwrap_or_default()
        );
        let (x, y) = find(&buf, "$input").expect("variable");
        assert_eq!(
            buf[(x, y)].fg,
            h.app.theme.get(Role::VtlVariable).fg.unwrap_or_default()
        );
        let (x, y) = find(&buf, "'$.name'").expect("string");
        assert_eq!(
            buf[(x, y)].fg,
            h.app.theme.get(Role::VtlString).fg.unwrap_or_default()
        );
        assert!(find(&buf, "  1 ").is_some(), "line numbers");
    }
}

#[test]
fn confirm_dialog_and_help_overlay_render() {
    let mut h = Harness::new();
    h.press("3 j F");
    let buf = h.render(80, 24);
    let (x, y) = find(&buf, "Flush the cache of stage prod?").expect("question");
    assert_eq!(
        buf[(x, y)].fg,
        h.app.theme.get(Role::DialogText).fg.unwrap_or_default()
    );
    assert!(screen(&buf).contains("<y> yes"));
    h.press("n ?");
    let text = screen(&h.render(160, 48));
    assert!(
        text.contains("flush cache !"),
        "dangerous actions are marked\n{text}"
    );
    assert!(text.contains(":traffic"), "commands are listed\n{text}");
    assert!(text.contains("general"));
}

#[test]
fn prompt_line_shows_completion_suggestion() {
    let mut h = Harness::new();
    h.press(":");
    h.type_text("sta");
    let buf = h.render(80, 24);
    let (x, y) = find(&buf, "ges").expect("suggestion");
    assert_eq!(y, 21, "the prompt sits above the hints");
    assert_eq!(
        buf[(x, y)].fg,
        h.app
            .theme
            .get(Role::PromptSuggestion)
            .fg
            .unwrap_or_default()
    );
}

#[test]
fn flash_line_uses_level_colours() {
    let mut h = Harness::new();
    h.command("nope");
    let buf = h.render(80, 24);
    let (x, y) = find(&buf, "unknown command").expect("flash");
    assert_eq!(
        buf[(x, y)].fg,
        h.app.theme.get(Role::FlashError).fg.unwrap_or_default()
    );
}

#[test]
fn dashboard_uses_base_and_canary_colours_and_numbers() {
    let mut h = Harness::new();
    let e = h.press("6");
    h.settle(e);
    let buf = h.render(160, 48);
    let text = screen(&buf);
    let (x, y) = find(&buf, "■ canary").expect("legend");
    assert_eq!(
        buf[(x, y)].fg,
        h.app.theme.get(Role::ChartCanary).fg.unwrap_or_default()
    );
    assert!(text.contains("-5m") && text.contains("now"), "{text}");
    assert!(
        text.contains("/s"),
        "numbers beside the Count chart\n{text}"
    );
    let small = screen(&h.render(80, 24));
    assert!(
        small.contains("Count · base"),
        "narrow charts carry their numbers in the title\n{small}"
    );
    h.press("z");
    let text = screen(&h.render(80, 24));
    assert!(
        text.contains("Count") && !text.contains("5XX"),
        "maximised shows one chart\n{text}"
    );
}

#[test]
fn themes_switch_live_and_no_color_strips_colours() {
    let mut h = Harness::new();
    h.command("theme ansi16");
    let buf = h.render(80, 24);
    let (x, y) = find(&buf, "<:>").expect("hints");
    assert_eq!(buf[(x, y)].fg, ratatui::style::Color::Magenta);
    let h = Harness::with(crate::tui::app::AppConfig {
        no_color: true,
        ..Default::default()
    });
    let buf = h.render(80, 24);
    for y in 0..24 {
        for x in 0..80 {
            let c = &buf[(x, y)];
            assert!(
                c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset,
                "({x},{y})"
            );
        }
    }
}

#[test]
fn editor_scrolls_sideways_to_keep_the_cursor_visible() {
    let mut h = Harness::new();
    h.press("2 l l j j l j enter end");
    h.type_text(&"x".repeat(120));
    h.type_text("TAIL");
    let text = screen(&h.render(80, 24));
    assert!(text.contains("xxTAIL"), "{text}");
    assert!(
        !text.contains("#if($input"),
        "the line start scrolled away\n{text}"
    );
}

#[test]
fn stages_list_the_custom_domain_urls_that_reach_them() {
    let mut h = Harness::new();
    // prod has `api.example.com/v1` (the sample); add a stage-less mapping, which reaches
    // every stage under its base path.
    if let Ok(mut s) = h.backend.state.lock() {
        s.domains.push((
            "shop.example.com".into(),
            crate::model::BasePathMapping {
                base_path: "v2".into(),
                rest_api_id: crate::tui::fake::SAMPLE_API.into(),
                stage: None,
            },
        ));
    }
    let effects = h.press("ctrl-r");
    h.settle(effects);
    h.press("3 j");
    assert_eq!(h.app.stage.as_deref(), Some("prod"));
    let text = screen(&h.render(160, 48));
    assert!(
        text.contains("domains       api.example.com/v1, shop.example.com/v2/prod"),
        "{text}"
    );
    h.press("k");
    assert_eq!(h.app.stage.as_deref(), Some("dev"));
    let text = screen(&h.render(160, 48));
    assert!(
        text.contains("domains       shop.example.com/v2/dev"),
        "{text}"
    );
}

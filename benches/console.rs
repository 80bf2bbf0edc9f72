//! Console frame cost: the dashboard at 200×60 on `TestBackend`, rendering a full hour of
//! 1-second buckets (3 methods × base/canary). Target: < 5 ms per frame.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use gwtui::tui::fake::{SAMPLE_API, sample_metrics};
use gwtui::tui::metrics::Selection;
use gwtui::tui::theme::Theme;
use gwtui::tui::views::render_dashboard;

fn dashboard(c: &mut Criterion) {
    let theme = Theme::default();
    let snap = sample_metrics(SAMPLE_API, 1_767_225_600, 3600);
    let mut terminal = match Terminal::new(TestBackend::new(200, 60)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    let all = Selection::default();
    let prod_get = Selection {
        stage: Some("prod".into()),
        method: Some(("/pets".into(), "GET".into())),
        event: None,
    };
    c.bench_function("dashboard 200x60, 1h of 1s buckets, all methods", |b| {
        b.iter(|| {
            let r = terminal.draw(|f| {
                let area = f.area();
                render_dashboard(
                    f,
                    &theme,
                    black_box(&snap),
                    &all,
                    3600,
                    false,
                    0,
                    None,
                    area,
                )
            });
            black_box(r.is_ok())
        })
    });
    c.bench_function("dashboard 200x60, 1h of 1s buckets, one method", |b| {
        b.iter(|| {
            let r = terminal.draw(|f| {
                let area = f.area();
                render_dashboard(
                    f,
                    &theme,
                    black_box(&snap),
                    &prod_get,
                    3600,
                    false,
                    0,
                    None,
                    area,
                )
            });
            black_box(r.is_ok())
        })
    });
    let day = sample_metrics(SAMPLE_API, 1_767_225_600, 86_400);
    c.bench_function("dashboard 200x60, 24h of 1s buckets, all methods", |b| {
        b.iter(|| {
            let r = terminal.draw(|f| {
                let area = f.area();
                render_dashboard(
                    f,
                    &theme,
                    black_box(&day),
                    &all,
                    86_400,
                    false,
                    0,
                    None,
                    area,
                )
            });
            black_box(r.is_ok())
        })
    });
}

criterion_group!(benches, dashboard);
criterion_main!(benches);

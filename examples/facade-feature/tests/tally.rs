//! Integration tests of the feature-gated facade: the crate's own tests turn the `interleave`
//! feature on, so `Tally` runs on interleave's types here.

use interleave_example_feature::Tally;

#[test]
fn threads_count_every_event_on_real_threads() {
    let tally = Tally::new();
    tally.add_from_threads(4, 500);
    assert_eq!(tally.get(), 2_000);
}

#[test]
fn threads_count_every_event_under_every_schedule_tried() {
    let report = interleave::Config::pct(200, 3)
        .write_artifact(false)
        .explore(|| {
            let tally = Tally::new();
            tally.add_from_threads(2, 2);
            assert_eq!(tally.get(), 4);
        });
    assert!(report.is_clean(), "{report}");
}

//! The chart of the report: seconds against number of tables, one line per measurement.
//! Text needs a TrueType font: DejaVu Sans from Debian's fonts-dejavu-core (or the file
//! named by SCHEMASPEC_BENCH_FONT); without one the chart is drawn without labels.

use plotters::prelude::*;
use std::path::Path;

pub struct Point {
    pub tables: f64,
    pub floor: f64,
    pub cold: f64,
    pub warm: f64,
    pub migra: Option<f64>,
}

fn font() -> bool {
    let candidates = [
        std::env::var("SCHEMASPEC_BENCH_FONT").unwrap_or_default(),
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf".to_string(),
    ];
    for c in candidates.iter().filter(|c| !c.is_empty()) {
        if let Ok(bytes) = std::fs::read(c) {
            // The font registry wants 'static bytes; the benchmark draws one chart.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                return true;
            }
        }
    }
    false
}

pub fn draw(path: &Path, points: &[Point]) -> Result<(), String> {
    let labels = font();
    let root = BitMapBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let max_x = points.iter().map(|p| p.tables).fold(1.0, f64::max);
    let max_y = points.iter().flat_map(|p| [p.floor, p.cold, p.warm, p.migra.unwrap_or(0.0)]).fold(1.0, f64::max) * 1.1;
    let mut builder = ChartBuilder::on(&root);
    builder.margin(20).x_label_area_size(if labels { 45 } else { 5 }).y_label_area_size(if labels { 60 } else { 5 });
    if labels {
        builder.caption("schemaspec plan vs PostgreSQL's floor and migra", ("sans-serif", 22));
    }
    let mut chart = builder.build_cartesian_2d(0.0..max_x * 1.05, 0.0..max_y).map_err(|e| e.to_string())?;
    let mut mesh = chart.configure_mesh();
    if labels {
        mesh.x_desc("tables").y_desc("seconds").label_style(("sans-serif", 14));
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw().map_err(|e| e.to_string())?;
    type Value = Box<dyn Fn(&Point) -> Option<f64>>;
    let series: [(&str, RGBColor, Value); 4] = [
        ("floor: psql -f + pg_dump", BLACK, Box::new(|p: &Point| Some(p.floor))),
        ("schemaspec plan, cold", BLUE, Box::new(|p: &Point| Some(p.cold))),
        ("schemaspec plan, warm", GREEN, Box::new(|p: &Point| Some(p.warm))),
        ("migra + loading its reference", RED, Box::new(|p: &Point| p.migra)),
    ];
    for (name, color, value) in series {
        let data: Vec<(f64, f64)> = points.iter().filter_map(|p| value(p).map(|v| (p.tables, v))).collect();
        if data.is_empty() {
            continue;
        }
        let line =
            chart.draw_series(LineSeries::new(data.clone(), color.stroke_width(2))).map_err(|e| e.to_string())?;
        if labels {
            line.label(name).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .draw_series(data.iter().map(|&(x, y)| Circle::new((x, y), 4, color.filled())))
            .map_err(|e| e.to_string())?;
    }
    if labels {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

fn main() {
    let rows: u64 = std::env::args().nth(1).unwrap().parse().unwrap();
    let generation: u32 = std::env::args().nth(2).map(|g| g.parse().unwrap()).unwrap_or(0);
    let spec = recert::estate::EstateSpec { generation, ..recert::estate::EstateSpec::new(rows, 42, chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()) };
    spec.write_csv(std::io::stdout().lock()).unwrap();
}

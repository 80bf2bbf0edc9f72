fn main() -> std::process::ExitCode {
    gwtui::cli::main()
}

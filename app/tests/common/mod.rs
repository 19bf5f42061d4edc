//! Helpers shared by the UI tests: a fresh app for Kari Nordmann from RVTS Sør in a
//! harness, and the open project's view model.

use egui_kittest::Harness;
use samspill::device::Device;
use samspill::ui::SamspillApp;

pub fn new_app(dir: &std::path::Path) -> SamspillApp {
    let mut device = Device::open(dir).unwrap();
    device.profile.name = "Kari Nordmann".to_owned();
    device.profile.centre = "RVTS Sør".to_owned();
    device.profile.save(dir).unwrap();
    let device = Device::open(dir).unwrap();
    SamspillApp::new(device, dir.to_owned())
}

/// A project from the four-phase template, made on `device` as `samspill new` makes it.
#[allow(dead_code)] // each test binary compiles this module; not all make projects so
pub fn four_phase(device: &Device, title: &str) -> samspill::handle::DocHandle {
    let template = samspill_shared::content::library()
        .template("four-phase")
        .unwrap();
    let new = samspill_shared::model::NewProject {
        template,
        title,
        language: None,
    };
    device.create_project(&new).unwrap()
}

pub fn harness(app: SamspillApp) -> Harness<'static, SamspillApp> {
    // Background jobs (listing, saving) finishing during `run()` ask for one more frame;
    // on a loaded machine that can take a few steps more than kittest's default of 4.
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(24)
        .build_ui_state(|ui, app: &mut SamspillApp| app.frame_ui(ui), app)
}

pub fn view(h: &Harness<'_, SamspillApp>) -> samspill_shared::model::Project {
    h.state()
        .state
        .session
        .as_ref()
        .expect("a project is open")
        .view
        .clone()
}

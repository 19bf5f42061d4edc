//! The egui desktop app.

use std::path::PathBuf;

use anyhow::Context as _;
use samspill_shared::content::Lang;

use crate::device::{default_data_dir, Access, Device};

/// A project as the list shows it.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    pub id: String,
    pub title: String,
    pub service: String,
    pub done: usize,
    pub total: usize,
}

pub struct SamspillApp {
    device: Device,
    rows: Vec<ProjectRow>,
    error: Option<String>,
}

impl SamspillApp {
    pub fn new(device: Device) -> Self {
        let mut app = Self { device, rows: Vec::new(), error: None };
        app.reload();
        app
    }

    fn reload(&mut self) {
        match self.device.store.list() {
            Ok(ids) => {
                self.rows = ids
                    .iter()
                    .filter_map(|id| {
                        let p = self.device.open_project(id, Access::Read).ok()?;
                        let v = p.doc.view();
                        let (done, total) = v.progress();
                        Some(ProjectRow { id: id.to_string(), title: v.meta.title, service: v.meta.service, done, total })
                    })
                    .collect();
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        let lang: Lang = self.device.profile.language;
        self.device.library().strings.get(lang, key)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(self.t("projects.title"));
        ui.separator();
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::RED, e);
        }
        if self.rows.is_empty() {
            ui.label(self.t("projects.empty"));
        }
        for row in &self.rows {
            ui.horizontal(|ui| {
                ui.strong(&row.title);
                if !row.service.is_empty() {
                    ui.label(&row.service);
                }
                ui.label(format!("{}/{}", row.done, row.total));
            });
        }
    }
}

impl eframe::App for SamspillApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| SamspillApp::ui(self, ui));
    }
}

/// Opens the desktop app's window.
pub fn run(data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let data_dir = match data_dir {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let device = Device::open(&data_dir)?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1100.0, 760.0]).with_title("Samspill"),
        ..Default::default()
    };
    eframe::run_native("Samspill", options, Box::new(|_cc| Ok(Box::new(SamspillApp::new(device)))))
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("could not open the window")
}

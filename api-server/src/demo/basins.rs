//! Producing basins of the demo data: counties with approximate centroids, hydrocarbon mix and
//! typical acreage prices. Figures are plausible round numbers for synthetic data, not quotes.

/// A county (or parish) with its approximate centroid.
#[derive(Debug, Clone, Copy)]
pub struct County {
    /// County name without "County".
    pub name: &'static str,
    /// Two-letter state code.
    pub state: &'static str,
    /// Centroid longitude.
    pub lon: f64,
    /// Centroid latitude.
    pub lat: f64,
}

/// A basin or play.
#[derive(Debug, Clone, Copy)]
pub struct Basin {
    /// Display name, as stored in listings.
    pub name: &'static str,
    /// Relative share of demo listings.
    pub weight: u32,
    /// Share of production (on a BOE basis) that is oil; the rest is gas.
    pub oil_share: f64,
    /// Range of mineral prices, US dollars per net acre.
    pub usd_per_acre: (f64, f64),
    /// Range of producing-property prices, US dollars per flowing BOE/d.
    pub usd_per_flowing_boe: (f64, f64),
    /// Counties in the basin.
    pub counties: &'static [County],
}

const fn c(name: &'static str, state: &'static str, lat: f64, lon: f64) -> County {
    County {
        name,
        state,
        lon,
        lat,
    }
}

/// The demo basins.
pub const BASINS: &[Basin] = &[
    Basin {
        name: "Permian",
        weight: 30,
        oil_share: 0.62,
        usd_per_acre: (6_000.0, 40_000.0),
        usd_per_flowing_boe: (30_000.0, 55_000.0),
        counties: &[
            c("Midland", "TX", 31.87, -102.03),
            c("Martin", "TX", 32.31, -101.95),
            c("Howard", "TX", 32.30, -101.44),
            c("Reeves", "TX", 31.32, -103.69),
            c("Loving", "TX", 31.85, -103.58),
            c("Ward", "TX", 31.51, -103.10),
            c("Upton", "TX", 31.37, -102.04),
            c("Reagan", "TX", 31.37, -101.52),
            c("Lea", "NM", 32.79, -103.41),
            c("Eddy", "NM", 32.47, -104.30),
        ],
    },
    Basin {
        name: "Bakken",
        weight: 12,
        oil_share: 0.78,
        usd_per_acre: (1_500.0, 6_000.0),
        usd_per_flowing_boe: (22_000.0, 40_000.0),
        counties: &[
            c("McKenzie", "ND", 47.74, -103.40),
            c("Williams", "ND", 48.34, -103.48),
            c("Mountrail", "ND", 48.20, -102.36),
            c("Dunn", "ND", 47.36, -102.62),
            c("Richland", "MT", 47.79, -104.56),
            c("Roosevelt", "MT", 48.29, -105.02),
        ],
    },
    Basin {
        name: "Eagle Ford",
        weight: 12,
        oil_share: 0.55,
        usd_per_acre: (2_500.0, 12_000.0),
        usd_per_flowing_boe: (20_000.0, 38_000.0),
        counties: &[
            c("Karnes", "TX", 28.90, -97.86),
            c("DeWitt", "TX", 29.08, -97.36),
            c("La Salle", "TX", 28.35, -99.10),
            c("McMullen", "TX", 28.35, -98.57),
            c("Webb", "TX", 27.76, -99.33),
            c("Dimmit", "TX", 28.42, -99.76),
            c("Gonzales", "TX", 29.46, -97.49),
        ],
    },
    Basin {
        name: "Marcellus",
        weight: 12,
        oil_share: 0.04,
        usd_per_acre: (2_000.0, 8_000.0),
        usd_per_flowing_boe: (8_000.0, 16_000.0),
        counties: &[
            c("Washington", "PA", 40.19, -80.25),
            c("Greene", "PA", 39.85, -80.23),
            c("Susquehanna", "PA", 41.82, -75.80),
            c("Bradford", "PA", 41.79, -76.52),
            c("Lycoming", "PA", 41.34, -77.07),
            c("Doddridge", "WV", 39.27, -80.71),
            c("Marshall", "WV", 39.86, -80.66),
        ],
    },
    Basin {
        name: "Haynesville",
        weight: 10,
        oil_share: 0.01,
        usd_per_acre: (1_500.0, 7_000.0),
        usd_per_flowing_boe: (7_000.0, 14_000.0),
        counties: &[
            c("Caddo", "LA", 32.58, -93.88),
            c("DeSoto", "LA", 32.06, -93.73),
            c("Bossier", "LA", 32.68, -93.60),
            c("Red River", "LA", 32.09, -93.34),
            c("Panola", "TX", 32.16, -94.31),
            c("Harrison", "TX", 32.55, -94.37),
            c("Shelby", "TX", 31.79, -94.15),
        ],
    },
    Basin {
        name: "DJ",
        weight: 8,
        oil_share: 0.48,
        usd_per_acre: (2_000.0, 9_000.0),
        usd_per_flowing_boe: (18_000.0, 32_000.0),
        counties: &[
            c("Weld", "CO", 40.55, -104.39),
            c("Adams", "CO", 39.87, -104.34),
            c("Arapahoe", "CO", 39.65, -104.34),
            c("Laramie", "WY", 41.31, -104.69),
        ],
    },
    Basin {
        name: "Anadarko",
        weight: 8,
        oil_share: 0.30,
        usd_per_acre: (800.0, 4_000.0),
        usd_per_flowing_boe: (12_000.0, 24_000.0),
        counties: &[
            c("Caddo", "OK", 35.17, -98.38),
            c("Custer", "OK", 35.64, -99.00),
            c("Washita", "OK", 35.29, -98.99),
            c("Roger Mills", "OK", 35.69, -99.70),
            c("Hemphill", "TX", 35.84, -100.27),
            c("Wheeler", "TX", 35.40, -100.27),
        ],
    },
    Basin {
        name: "SCOOP/STACK",
        weight: 8,
        oil_share: 0.42,
        usd_per_acre: (1_500.0, 7_500.0),
        usd_per_flowing_boe: (16_000.0, 30_000.0),
        counties: &[
            c("Grady", "OK", 35.02, -97.89),
            c("Garvin", "OK", 34.71, -97.31),
            c("Stephens", "OK", 34.49, -97.85),
            c("Kingfisher", "OK", 35.95, -97.94),
            c("Blaine", "OK", 35.88, -98.43),
            c("Canadian", "OK", 35.54, -97.98),
        ],
    },
];

/// Fictional operators named in descriptions.
pub const OPERATORS: &[&str] = &[
    "Caprock Energy Partners",
    "Red Mesa Operating",
    "Prairie Dog Resources",
    "Blue Norther Petroleum",
    "Three Forks Exploration",
    "Bayou Bend Energy",
    "Front Range Hydrocarbons",
    "Cimarron Valley Oil",
    "Keystone Ridge Gas",
    "Pecos River Operating",
];

/// Equipment offered in equipment listings.
pub const EQUIPMENT: &[&str] = &[
    "Ariel JGK/4 compressor package",
    "1,000 HP SCR land drilling rig",
    "500 bbl frac tanks (lot of 12)",
    "Lufkin 912 pumping unit",
    "36 in x 10 ft three-phase separator",
    "CAT 3516 generator set",
    "Coil tubing unit, 2 in",
    "Triplex mud pump, 1,600 HP",
];

/// Services offered in service listings.
pub const SERVICES: &[&str] = &[
    "Saltwater disposal capacity",
    "Frac water transfer",
    "Landman title and lease services",
    "Plugging and abandonment crew",
    "Hot oiling and paraffin treatment",
    "Pipeline right-of-way maintenance",
    "Cased-hole wireline logging",
];

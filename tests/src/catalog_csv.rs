//! Catalog CSV files for imports, row by row, identical on every run: the
//! e2e tests' small files and the import benchmark's 100,000 rows.
//!
//! Row `n` of prefix `p` is the product `p-n` with SKU `P-n`, in a leaf
//! category of the demo catalog (so it imports into any demo store).
//! [`Detail::Minimal`] fills the required columns only; [`Detail::Full`]
//! fills every column the import knows, as an ERP export would: barcode,
//! a description, units, quantity rules, tax class, images, families of
//! colour variants and the demo's attributes with their kinds.

use std::fmt::Write;

/// Which columns rows fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The required columns only.
    Minimal,
    /// Every column of the catalog import.
    Full,
}

/// The header line of the required columns.
pub const MINIMAL_HEADER: &str =
    "id,sku,name,category_id,status,sales_unit_code,price_currency,price_amount";

/// The header line of every column, in the import template's order.
pub const FULL_HEADER: &str = "id,sku,barcode,name,description,category_id,status,successor_id,\
     sales_unit_code,sales_unit_name,sales_unit_base_units,order_units,price_currency,\
     price_amount,min_quantity,order_multiple,max_quantity,tax_class,image_urls,family_id,\
     variant_keys,attributes";

/// The demo catalog's roots: code, name, sales unit (code, name, base
/// units), and attributes (key, kind, values) of the kinds the demo gives
/// those keys. Every root has leaves `cat-<code>-<m><l>`, m and l 0 to 2.
struct Root {
    code: &'static str,
    name: &'static str,
    unit: (&'static str, &'static str, u32),
    leaves: [&'static str; 3],
    attributes: &'static [(&'static str, &'static str, &'static [&'static str])],
}

const COLOURS: &[&str] = &["white", "black", "grey", "red", "blue", "yellow"];

const ROOTS: [Root; 6] = [
    Root {
        code: "el",
        name: "Electrical",
        unit: ("M", "Metre", 1),
        leaves: ["Installation cable", "Wall switch", "Circuit breaker"],
        attributes: &[
            ("voltage", "number", &["230 V", "400 V", "690 V"]),
            ("material", "option", &["copper", "aluminium", "PVC"]),
            ("current_rating", "number", &["6 A", "10 A", "16 A", "32 A"]),
            ("colour", "option", COLOURS),
        ],
    },
    Root {
        code: "li",
        name: "Lighting",
        unit: ("EA", "Each", 1),
        leaves: ["LED panel", "Floodlight", "LED bulb"],
        attributes: &[
            ("power", "number", &["5 W", "9 W", "12 W", "24 W", "36 W"]),
            (
                "colour_temperature",
                "number",
                &["2700 K", "3000 K", "4000 K"],
            ),
            ("ip_rating", "option", &["IP20", "IP44", "IP65"]),
        ],
    },
    Root {
        code: "pl",
        name: "Plumbing",
        unit: ("EA", "Each", 1),
        leaves: ["Copper pipe", "Elbow", "Ball valve"],
        attributes: &[
            ("diameter", "number", &["15 mm", "22 mm", "28 mm", "54 mm"]),
            ("material", "option", &["copper", "brass", "PEX"]),
            ("pressure_rating", "number", &["6 bar", "10 bar", "16 bar"]),
        ],
    },
    Root {
        code: "fa",
        name: "Fasteners",
        unit: ("BOX100", "Box of 100", 100),
        leaves: ["Wood screw", "Nylon anchor", "Hex bolt"],
        attributes: &[
            ("size", "option", &["M4", "M5", "M6", "M8", "M10"]),
            ("length", "number", &["16 mm", "30 mm", "50 mm", "100 mm"]),
            (
                "material",
                "option",
                &["zinc-plated steel", "stainless steel A2"],
            ),
        ],
    },
    Root {
        code: "to",
        name: "Tools",
        unit: ("EA", "Each", 1),
        leaves: ["Drill driver", "Combination pliers", "Multimeter"],
        attributes: &[
            ("voltage", "number", &["12 V", "18 V", "230 V"]),
            ("power", "number", &["300 W", "800 W", "1200 W"]),
            ("battery", "option", &["included", "not included", "corded"]),
        ],
    },
    Root {
        code: "sa",
        name: "Safety",
        unit: ("EA", "Each", 1),
        leaves: ["Work jacket", "Safety helmet", "Warning sign"],
        attributes: &[
            ("size", "option", &["S", "M", "L", "XL"]),
            ("colour", "option", COLOURS),
            ("standard", "option", &["EN 397", "EN 166", "EN 388"]),
        ],
    },
];

const SERIES: &[&str] = &["Basic", "Pro", "Max", "Eco", "Industrial", "Compact"];

/// A catalog CSV file, written row by row.
#[derive(Debug, Clone)]
pub struct CatalogCsv {
    prefix: String,
    detail: Detail,
    /// The file's first row number: a discontinued row names the one
    /// before it as its successor, which must be in the file.
    from: u32,
    /// Keeps barcodes of files with different prefixes apart.
    barcode_base: u64,
}

impl CatalogCsv {
    /// Rows from `from` on, with ids `<prefix>-<n>`.
    pub fn new(prefix: &str, detail: Detail, from: u32) -> Self {
        let barcode_base = prefix
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
            % 900
            + 100;
        Self {
            prefix: prefix.into(),
            detail,
            from,
            barcode_base,
        }
    }

    /// The header line, with its line end.
    pub fn header(&self, out: &mut String) {
        out.push_str(match self.detail {
            Detail::Minimal => MINIMAL_HEADER,
            Detail::Full => FULL_HEADER,
        });
        out.push('\n');
    }

    /// The id of row `n`.
    pub fn id(&self, n: u32) -> String {
        format!("{}-{n}", self.prefix)
    }

    /// The SKU of row `n`.
    pub fn sku(&self, n: u32) -> String {
        format!("{}-{n}", self.prefix.to_uppercase())
    }

    /// Row `n`, with its line end (row `n` of a full file is in category
    /// `cat-<root>-<m><l>` of the demo catalog, spread over all 54 leaves).
    pub fn row(&self, n: u32, out: &mut String) {
        let (prefix, upper) = (&self.prefix, self.prefix.to_uppercase());
        let (r, m, l) = (n as usize % 6, n as usize / 6 % 3, n as usize / 18 % 3);
        let root = &ROOTS[r];
        let price = n % 90 + 1;
        if self.detail == Detail::Minimal {
            let _ = writeln!(
                out,
                "{prefix}-{n},{upper}-{n},Imported {prefix} {n},cat-el-00,active,EA,EUR,{price}.50"
            );
            return;
        }
        let category = format!("cat-{}-{m}{l}", root.code);
        let pick = |values: &[&'static str], salt: u32| {
            values[(n.wrapping_mul(2_654_435_761).rotate_left(salt) as usize) % values.len()]
        };
        let attributes: Vec<(&str, &str, &str)> = root
            .attributes
            .iter()
            .enumerate()
            .map(|(i, (key, kind, values))| match *key {
                // The variants of a family (below) differ by colour.
                "colour" => (*key, *kind, values[(n as usize / 6) % 4]),
                _ => (*key, *kind, pick(values, 7 * i as u32 + 3)),
            })
            .collect();
        let leaf = root.leaves[l];
        let series = pick(SERIES, 1);
        let headline: Vec<&str> = attributes.iter().take(2).map(|a| a.2).collect();
        let name = format!("{leaf} {series} {} {}", 100 + n % 900, headline.join(" "));
        let description = format!(
            "{leaf} from the {series} series, {}. Part of our {} range; imported as {prefix}-{n}.",
            attributes
                .iter()
                .map(|(key, _, value)| format!("{} {value}", key.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", "),
            root.name.to_lowercase(),
        );
        // Every 37th row is discontinued and replaced by the row before.
        let (status, successor) = if n % 37 == 36 && n > self.from {
            ("discontinued", self.id(n - 1))
        } else {
            ("active", String::new())
        };
        let (unit_code, unit_name, base_units) = root.unit;
        // Every fifth comes by the box of 10 and is ordered in whole boxes,
        // from two boxes.
        let boxed = n.is_multiple_of(5);
        let (order_units, min, multiple, max) = if boxed {
            (
                format!("BOX10:Box of 10 × {unit_name}:{}", base_units * 10),
                "20",
                "10",
                "5000",
            )
        } else {
            (String::new(), "", "", "")
        };
        let tax = match n % 11 {
            0 => "reduced",
            7 => "zero",
            _ => "standard",
        };
        // Rows with a colour come in families of four colour variants.
        let has_colour = attributes.iter().any(|a| a.0 == "colour");
        let (family, variant_keys) = if has_colour {
            (format!("{prefix}-fam-{}-{}", root.code, n / 24), "colour")
        } else {
            (String::new(), "")
        };
        let attributes = attributes
            .iter()
            .map(|(key, kind, value)| format!("{key}:{kind}={value}"))
            .collect::<Vec<_>>()
            .join("|");
        let _ = writeln!(
            out,
            "{prefix}-{n},{upper}-{n},{}{n:010},{name},\"{description}\",{category},{status},\
             {successor},{unit_code},{unit_name},{base_units},{order_units},EUR,{price}.{:02},\
             {min},{multiple},{max},{tax},https://images.example.com/{prefix}/{n}.jpg|\
             https://images.example.com/{prefix}/{n}-side.jpg,{family},{variant_keys},{attributes}",
            self.barcode_base,
            n % 100,
        );
    }

    /// Rows `from..from + count` after the header, as one file.
    pub fn file(&self, count: u32) -> String {
        let mut csv = String::new();
        self.header(&mut csv);
        for n in self.from..self.from + count {
            self.row(n, &mut csv);
        }
        csv
    }
}

/// A file of `count` minimal rows from `from` on, ids `<prefix>-<n>`.
pub fn rows(from: u32, count: u32, prefix: &str) -> String {
    CatalogCsv::new(prefix, Detail::Minimal, from).file(count)
}

//! Geographic search: a radius around a point, a bounding box, great-circle distance.

use super::values::{GeoPoint, ValidationError};

/// Mean Earth radius, km (the IUGG value used by most haversine implementations).
pub const EARTH_RADIUS_KM: f64 = 6_371.008_8;
/// Largest accepted search radius, km.
pub const MAX_RADIUS_KM: f64 = 1_000.0;
/// Kilometres per degree of latitude (upper bound, so bounding boxes never cut a match).
const KM_PER_DEGREE_MIN: f64 = 110.5;

/// Great-circle distance in km (haversine). Both stores filter with this exact function.
pub fn distance_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat().to_radians(), b.lat().to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon() - a.lon()).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A lon/lat rectangle, edges inclusive. `min_lon <= max_lon` (boxes across the
/// antimeridian are not supported).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// West edge.
    pub min_lon: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lon: f64,
    /// North edge.
    pub max_lat: f64,
}

impl BBox {
    /// Validates the corners (`bbox` parameter: `minLon,minLat,maxLon,maxLat`).
    pub fn new(
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    ) -> Result<Self, ValidationError> {
        let bad = |m: &str| ValidationError::new("bbox", m.to_owned());
        let sw = GeoPoint::new(min_lon, min_lat).map_err(|_| bad("corner out of range"))?;
        let ne = GeoPoint::new(max_lon, max_lat).map_err(|_| bad("corner out of range"))?;
        if sw.lon() > ne.lon() || sw.lat() > ne.lat() {
            return Err(bad(
                "must be minLon,minLat,maxLon,maxLat with min <= max (no antimeridian crossing)",
            ));
        }
        Ok(Self {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// Whether `p` lies inside (edges included).
    pub fn contains(&self, p: GeoPoint) -> bool {
        (self.min_lon..=self.max_lon).contains(&p.lon())
            && (self.min_lat..=self.max_lat).contains(&p.lat())
    }
}

/// Points within `radius_km` of `center` (great-circle distance, inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    /// Center.
    pub center: GeoPoint,
    /// Radius, km, in (0, [`MAX_RADIUS_KM`]].
    pub radius_km: f64,
}

impl Near {
    /// Validates the radius.
    pub fn new(center: GeoPoint, radius_km: f64) -> Result<Self, ValidationError> {
        if !(radius_km.is_finite() && radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
            return Err(ValidationError::new(
                "radius_km",
                format!("must be a number in (0, {MAX_RADIUS_KM}]"),
            ));
        }
        Ok(Self { center, radius_km })
    }

    /// Exact test.
    pub fn contains(&self, p: GeoPoint) -> bool {
        distance_km(self.center, p) <= self.radius_km
    }

    /// A box containing every point of the circle (the stores' indexed prefilter). Widens to
    /// every longitude near the poles or across the antimeridian.
    pub fn bounding_box(&self) -> BBox {
        let dlat = self.radius_km / KM_PER_DEGREE_MIN;
        let min_lat = (self.center.lat() - dlat).max(-90.0);
        let max_lat = (self.center.lat() + dlat).min(90.0);
        let widest = min_lat.abs().max(max_lat.abs());
        let cos = widest.to_radians().cos();
        let (min_lon, max_lon) = if max_lat >= 90.0 || min_lat <= -90.0 || cos < 1e-6 {
            (-180.0, 180.0)
        } else {
            let dlon = dlat / cos;
            let (lo, hi) = (self.center.lon() - dlon, self.center.lon() + dlon);
            if lo < -180.0 || hi > 180.0 {
                (-180.0, 180.0)
            } else {
                (lo, hi)
            }
        };
        BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lon: f64, lat: f64) -> GeoPoint {
        GeoPoint::new(lon, lat).unwrap()
    }

    #[test]
    fn haversine_known_distances() {
        // Midland, TX to Odessa, TX: about 31 km.
        let d = distance_km(p(-102.0779, 31.9973), p(-102.3676, 31.8457));
        assert!((d - 31.9).abs() < 1.0, "{d}");
        assert_eq!(distance_km(p(10.0, 10.0), p(10.0, 10.0)), 0.0);
        let one_degree = distance_km(p(0.0, 0.0), p(0.0, 1.0));
        assert!((one_degree - 111.19).abs() < 0.01, "{one_degree}");
    }

    #[test]
    fn bounding_box_contains_the_circle() {
        for (lon, lat, r) in [
            (-102.0, 31.9, 50.0),
            (-103.0, 48.0, 300.0),
            (179.5, 0.0, 100.0),
            (0.0, 89.5, 200.0),
        ] {
            let near = Near::new(p(lon, lat), r).unwrap();
            let bb = near.bounding_box();
            for i in 0..360 {
                let bearing = f64::from(i).to_radians();
                // A point just inside the circle along this bearing (equirectangular step).
                let dlat = (r * 0.999 / 111.195) * bearing.cos();
                let dlon = (r * 0.999 / 111.195) * bearing.sin() / lat.to_radians().cos();
                let (qlon, qlat) = (lon + dlon, lat + dlat);
                if !(-180.0..=180.0).contains(&qlon) || !(-90.0..=90.0).contains(&qlat) {
                    continue;
                }
                let q = p(qlon, qlat);
                if near.contains(q) {
                    assert!(bb.contains(q), "{q:?} outside {bb:?}");
                }
            }
        }
    }

    #[test]
    fn validation() {
        assert!(Near::new(p(0.0, 0.0), 0.0).is_err());
        assert!(Near::new(p(0.0, 0.0), 1_000.1).is_err());
        assert!(BBox::new(10.0, 0.0, 5.0, 1.0).is_err());
        assert!(BBox::new(0.0, 0.0, 181.0, 1.0).is_err());
        let b = BBox::new(-1.0, -1.0, 1.0, 1.0).unwrap();
        assert!(b.contains(p(1.0, -1.0)) && !b.contains(p(1.01, 0.0)));
    }
}

"""Draw one synthetic face with OpenCV primitives, with a mask per action-unit region.

The face is laid out in a *normalised face frame*: origin at the face centre, x to the right, y down, the
face oval spanning about ±1 horizontally. A single 2×3 affine matrix (scale, roll, translation) maps that frame
to pixels, so the picture and the action-unit (AU) masks are drawn through exactly the same transform and
stay aligned whatever the pose.

Drawing is hand-written because no library renders parametric faces with FACS ground truth; OpenCV does the
rasterising. Used by chapter 00 (the generator) and, through :mod:`painlib.synth.populations`, by every
chapter that runs on the embedded default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..facs import AUS, FACE_BIT, pack_masks
from ..session import keyed_rng


@dataclass(frozen=True)
class Identity:
    """Appearance of one synthetic person (constant across their images)."""

    skin_bgr: tuple[int, int, int]
    hair_bgr: tuple[int, int, int]
    iris_bgr: tuple[int, int, int]
    lip_bgr: tuple[int, int, int]
    face_aspect: float  # face height / width, ~1.15–1.45
    eye_spacing: float  # half-distance between eye centres, face-frame units
    eye_size: float  # eye half-width, face-frame units
    brow_thickness: float  # face-frame units
    nose_length: float
    mouth_width: float  # half-width
    hair_style: str  # "short", "long", "bald", "cap"
    glasses: bool
    # Resting traits that look like pain AUs without being pain: they make people differ at rest,
    # which is why evaluating on unseen subjects is harder than on seen ones.
    rest_brow_drop: float = 0.0  # 0–1, brows naturally low/knitted (AU4-like)
    rest_lid_narrow: float = 0.0  # 0–1, naturally narrow eyes (AU7-like)
    rest_nasolabial: float = 0.0  # 0–1, deep nasolabial folds (AU10-like)
    # Population traits
    asymmetry: float = 0.0  # 0–1, one side of the face moves less (CP)
    neonate: bool = False


@dataclass(frozen=True)
class Scene:
    """Per-image nuisances: pose, light, background, occluders, mouth behaviour."""

    size_px: int = 224
    face_scale: float = 0.26  # face half-width as a fraction of the image side
    center: tuple[float, float] = (0.5, 0.5)  # face centre, fraction of image side
    roll_deg: float = 0.0  # in-plane head tilt
    yaw: float = 0.0  # -1…1, turns features sideways
    light_gradient: float = 0.0  # -1…1, left–right illumination ramp
    brightness: float = 1.0
    background: str = "plain"  # "plain", "clutter", "studio"
    background_bgr: tuple[int, int, int] = (200, 200, 200)
    noise_sigma: float = 2.0  # grey levels
    blur_px: float = 0.6  # Gaussian blur σ in pixels of a 128-px image; scaled with size_px (see BLUR_REFERENCE_PX)
    mouth_open: float = 0.0  # 0–1, jaw drop unrelated to pain (speech, CP, crying)
    tongue: bool = False
    pacifier: bool = False
    occluder: str = "none"  # "none", "hand", "surgical_mask"
    downsample: float = 1.0  # >1 renders a low-resolution (video-like) picture
    clutter_seed: int = 0
    extras: dict = field(default_factory=dict)


#: Image side at which :attr:`Scene.blur_px` is given. The blur scales with the image, so a face keeps soft
#: edges at every size: a 224-px face drawn with the σ of a 96-px one has crisp cartoon outlines, and MTCNN
#: scores such faces far below photographs (see benchmarks/bench_detectable.py).
BLUR_REFERENCE_PX = 128


def _ellipse(cx: float, cy: float, ax: float, ay: float, n: int = 28, a0=0.0, a1=2 * np.pi) -> np.ndarray:
    t = np.linspace(a0, a1, n)
    return np.stack([cx + ax * np.cos(t), cy + ay * np.sin(t)], axis=1)


class _Canvas:
    """Image, masks and the face-frame → pixel transform used while drawing one face (private helper)."""

    def __init__(self, img: np.ndarray, matrix: np.ndarray):
        self.img = img
        self.m = matrix
        self.masks = np.zeros((len(AUS) + 1, *img.shape[:2]), np.uint8)

    def px(self, pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, np.float64).reshape(-1, 2)
        out = pts @ self.m[:, :2].T + self.m[:, 2]
        return np.round(out * 16).astype(np.int32)  # 4 fractional bits for sub-pixel drawing

    def poly(self, pts, color, target=None):
        cv2.fillPoly(self.img if target is None else target, [self.px(pts)], color, cv2.LINE_AA, shift=4)

    def line(self, pts, color, width_units: float):
        w = max(1, int(round(width_units * np.hypot(self.m[0, 0], self.m[1, 0]))))
        cv2.polylines(self.img, [self.px(pts)], False, color, w, cv2.LINE_AA, shift=4)

    def mask(self, au: str | None, pts):
        idx = FACE_BIT if au is None else AUS.index(au)
        cv2.fillPoly(self.masks[idx], [self.px(pts)], 1, cv2.LINE_8, shift=4)


def _shade(bgr, factor: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in bgr)


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round((1 - t) * x + t * y)) for x, y in zip(a, b))


def _background(scene: Scene) -> np.ndarray:
    # Seeded by the scene, not the image, so consecutive frames of one video share their background.
    rng = keyed_rng(scene.clutter_seed, "clutter")
    s = scene.size_px
    img = np.empty((s, s, 3), np.uint8)
    img[:] = scene.background_bgr
    if scene.background == "studio":
        ramp = np.linspace(1.08, 0.92, s)[:, None, None]
        img = np.clip(img * ramp, 0, 255).astype(np.uint8)
    elif scene.background == "clutter":
        for _ in range(int(rng.integers(4, 9))):
            color = tuple(int(c) for c in rng.integers(30, 230, 3))
            x0, y0 = (int(v) for v in rng.integers(0, s, 2))
            w, h = (int(v) for v in rng.integers(s // 10, s // 2, 2))
            if rng.random() < 0.5:
                cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), color, -1)
            else:
                cv2.ellipse(img, (x0, y0), (w // 2, h // 2), float(rng.uniform(0, 180)), 0, 360, color, -1)
        for _ in range(int(rng.integers(2, 5))):
            color = tuple(int(c) for c in rng.integers(20, 240, 3))
            p0, p1 = rng.integers(0, s, (2, 2))
            cv2.line(img, tuple(int(v) for v in p0), tuple(int(v) for v in p1), color, int(rng.integers(1, 4)))
    return img


def render_face(
    identity: Identity,
    aus: dict[str, float],
    scene: Scene,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Render one face.

    Parameters
    ----------
    identity : who is drawn.
    aus : intensities 0–5 for each of :data:`AUS` (missing keys are 0).
    scene : pose, light, background and occluders.
    rng : source of the small random details (clutter, noise); seed it for identical bytes.

    Returns
    -------
    image : uint8 array (size, size, 3), BGR as OpenCV writes it.
    masks : uint8 array (size, size), packed as :func:`painlib.facs.pack_masks` describes.
    """
    a = {k: float(np.clip(aus.get(k, 0.0), 0.0, 5.0)) / 5.0 for k in AUS}  # 0–1 internally
    s = scene.size_px
    img = _background(scene)
    scale = scene.face_scale * s
    th = np.deg2rad(scene.roll_deg)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]) * scale
    m = np.hstack([rot, np.array([[scene.center[0] * s], [scene.center[1] * s]])])
    cv = _Canvas(img, m)

    idn = identity
    fa = idn.face_aspect
    yaw = scene.yaw * 0.18  # horizontal shift of the inner features
    skin = _shade(idn.skin_bgr, scene.brightness)
    hair = idn.hair_bgr

    # Neck and shoulders
    cv.poly(np.array([[-0.45, 0.8 * fa], [0.45, 0.8 * fa], [0.55, 1.9 * fa], [-0.55, 1.9 * fa]]), _shade(skin, 0.85))
    cv.poly(
        np.array([[-2.2, 1.55 * fa], [2.2, 1.55 * fa], [2.6, 3.5 * fa], [-2.6, 3.5 * fa]]),
        (120, 90, 60) if not idn.neonate else (235, 225, 215),
    )
    # Hair behind the head
    if idn.hair_style == "long":
        cv.poly(_ellipse(0, 0.05 * fa, 1.25, 1.2 * fa), hair)
        cv.poly(np.array([[-1.25, 0], [1.25, 0], [1.2, 1.05 * fa], [-1.2, 1.05 * fa]]), hair)
    elif idn.hair_style in ("short", "cap"):
        cv.poly(_ellipse(0, -0.1 * fa, 1.1, 1.05 * fa), hair)
    # Ears
    for side in (-1, 1):
        cv.poly(_ellipse(side * 1.0, -0.05 * fa, 0.16, 0.25), _shade(skin, 0.9))
    # Face oval with soft shading; the darker rim keeps the face apart from hair or background of its own tone
    oval = _ellipse(0, 0, 1.0, fa, n=48)
    cv.poly(oval, _shade(skin, 0.65))
    cv.poly(_ellipse(-0.04 + yaw * 0.5, -0.03 * fa, 0.92, 0.95 * fa, n=44), _shade(skin, 0.9))
    cv.poly(_ellipse(-0.08 + yaw * 0.5, -0.05 * fa, 0.78, 0.86 * fa, n=40), skin)
    cv.mask(None, oval)
    # Hairline on top of the forehead
    if idn.hair_style in ("short", "long"):
        cv.poly(_ellipse(0, -0.78 * fa, 0.98, 0.42 * fa, a0=np.pi, a1=2 * np.pi), hair)
        cv.poly(np.array([[-0.98, -0.78 * fa], [0.98, -0.78 * fa], [0.9, -0.62 * fa], [-0.9, -0.62 * fa]]), hair)
    elif idn.hair_style == "cap":
        cap = (180, 140, 200) if idn.neonate else (90, 60, 150)
        cv.poly(_ellipse(0, -0.72 * fa, 1.04, 0.5 * fa, a0=np.pi, a1=2 * np.pi), cap)
        cv.poly(np.array([[-1.04, -0.72 * fa], [1.04, -0.72 * fa], [1.04, -0.6 * fa], [-1.04, -0.6 * fa]]), cap)

    def side_gain(side: int) -> float:
        """CP asymmetry: the expression on one side (here, the person's left = image right) is weaker."""
        return 1.0 - idn.asymmetry * 0.7 if side > 0 else 1.0

    ey = -0.12 * fa
    # --- Cheeks (AU6 raises them) -------------------------------------------------------------------------
    for side in (-1, 1):
        g = side_gain(side)
        cx = side * 0.55 + yaw
        cy = 0.22 * fa - 0.10 * a["au6"] * g
        cheek = _ellipse(cx, cy, 0.26, 0.18)
        cv.poly(cheek, _mix(skin, (90, 90, 200), 0.10 + 0.25 * a["au6"] * g))
        cv.mask("au6", _ellipse(cx, 0.12 * fa, 0.34, 0.32))
        # crow's feet at the outer eye corner
        if a["au6"] * g > 0.15:
            ox = side * (idn.eye_spacing + idn.eye_size + 0.05) + yaw
            for k in range(3):
                dy = (k - 1) * 0.06
                cv.line(
                    np.array([[ox, ey + dy], [ox + side * 0.12 * a["au6"] * g, ey + dy * 1.8]]),
                    _shade(skin, 0.55),
                    0.018,
                )
        cv.mask("au6", _ellipse(side * (idn.eye_spacing + idn.eye_size + 0.08) + yaw, ey, 0.12, 0.14))

    # --- Eyes (AU7 narrows, AU43 closes, AU6 pushes the lower lid up) ---------------------------------------
    for side in (-1, 1):
        g = side_gain(side)
        ex = side * idn.eye_spacing + yaw
        w = idn.eye_size
        opening = 1.0 - 0.55 * a["au7"] * g - 0.25 * a["au6"] * g - 0.5 * idn.rest_lid_narrow
        opening = max(0.0, opening) * (1.0 - a["au43"] * (0.7 + 0.3 * g))
        h = 0.45 * w * opening
        region = _ellipse(ex, ey, w * 1.25, w * 0.75)
        cv.mask("au43", region)
        cv.mask("au7", region)
        # eye socket shadow: on a photograph the eyes are the darkest band of the face
        cv.poly(_ellipse(ex, ey - 0.02, w * 1.25, w * 0.7), _shade(skin, 0.72))
        if h > 0.012:
            white = _ellipse(ex, ey, w, h, n=32)
            cv.poly(white, _mix((235, 238, 240), skin, 0.3))  # the sclera is in the lids' shade, not paper-white
            r = min(w * 0.42, 0.075 * (w / 0.17))
            iris_r = min(r, h * 1.05)
            cv.poly(_ellipse(ex + scene.yaw * 0.04, ey, r, iris_r), idn.iris_bgr)
            cv.poly(_ellipse(ex + scene.yaw * 0.04, ey, r * 0.45, min(r * 0.45, iris_r)), (20, 20, 20))
            cv.line(_ellipse(ex, ey, w * 1.05, h, n=20, a0=np.pi, a1=2 * np.pi), (30, 22, 22), 0.02)
            cv.line(_ellipse(ex, ey, w, h, n=16, a0=0.1, a1=np.pi - 0.1), _shade(skin, 0.6), 0.012)
        else:  # closed eye: a lash line
            cv.line(_ellipse(ex, ey, w, 0.04, n=16, a0=0.1, a1=np.pi - 0.1), (40, 30, 30), 0.028)
        # tightened lower lid bulge
        if a["au7"] * g > 0.2:
            cv.line(_ellipse(ex, ey + h + 0.03, w * 0.85, 0.04, n=14, a0=0.2, a1=np.pi - 0.2), _shade(skin, 0.7), 0.015)

    # --- Brows (AU4 lowers and knits them) -------------------------------------------------------------------
    drop = 0.5 * a["au4"] + 0.5 * idn.rest_brow_drop
    for side in (-1, 1):
        g = side_gain(side)
        d = drop * g
        inner = np.array([side * (0.12 - 0.05 * d) + yaw, ey - 0.2 + 0.16 * d])
        mid = np.array([side * (idn.eye_spacing) + yaw, ey - 0.27 + 0.11 * d])
        outer = np.array([side * (idn.eye_spacing + idn.eye_size * 1.1) + yaw, ey - 0.2 + 0.05 * d])
        t = idn.brow_thickness
        top = np.array([inner + [0, -t * 0.6], mid + [0, -t], outer + [0, -t * 0.4]])
        bottom = np.array([outer, mid, inner])
        brow = _mix(hair, (25, 22, 22), 0.55) if idn.hair_style != "bald" else (50, 45, 45)
        cv.poly(np.vstack([top, bottom]), brow)
        cv.mask("au4", np.array([inner + [0, -0.2], outer + [0, -0.2], outer + [0, 0.08], inner + [0, 0.08]]))
    # frown lines between the brows
    if drop > 0.15:
        for dx in (-0.045, 0.045):
            cv.line(
                np.array([[dx + yaw, ey - 0.2], [dx * 0.6 + yaw, ey - 0.2 + 0.18 * drop]]), _shade(skin, 0.6), 0.016
            )
    cv.mask("au4", np.array([[-0.14 + yaw, ey - 0.32], [0.14 + yaw, ey - 0.32], [0.12 + yaw, ey], [-0.12 + yaw, ey]]))

    # --- Nose (AU9 wrinkles the bridge and lifts the nostrils) ----------------------------------------------
    ny = 0.24 * fa * idn.nose_length / 0.5
    lift = 0.05 * a["au9"]
    cv.line(np.array([[0.05 + yaw, ey + 0.05], [0.08 + yaw * 1.2, ny - 0.05]]), _shade(skin, 0.7), 0.03)
    cv.poly(_ellipse(yaw * 1.2, ny + 0.07 - lift, 0.16, 0.05), _shade(skin, 0.72))  # shadow under the nose
    cv.poly(_ellipse(yaw * 1.2, ny - lift, 0.13 + 0.03 * a["au9"], 0.09), _shade(skin, 0.92))
    for side in (-1, 1):
        cv.poly(_ellipse(side * (0.07 + 0.02 * a["au9"]) + yaw * 1.2, ny + 0.03 - lift, 0.045, 0.025), (50, 50, 70))
    if a["au9"] > 0.1:
        for k in range(1 + int(3 * a["au9"])):
            yk = ey + 0.1 + k * 0.045
            cv.line(np.array([[-0.07 + yaw, yk], [0.07 + yaw, yk - 0.01]]), _shade(skin, 0.62), 0.014)
    cv.mask(
        "au9",
        np.array([[-0.16 + yaw, ey + 0.02], [0.16 + yaw, ey + 0.02], [0.22 + yaw, ny + 0.1], [-0.22 + yaw, ny + 0.1]]),
    )

    # --- Mouth (AU10 raises the upper lip; jaw drop, tongue, crying and pacifier are nuisances) --------------
    my = 0.55 * fa
    mw = idn.mouth_width * (1.0 + 0.25 * scene.mouth_open * (1.0 if idn.neonate else 0.3))
    raise_ = 0.07 * a["au10"]
    jaw = 0.04 + 0.22 * scene.mouth_open
    # nasolabial folds deepen with AU10
    fold = 0.7 * idn.rest_nasolabial + a["au10"]
    for side in (-1, 1):
        g = side_gain(side)
        if fold * g > 0.1:
            cv.line(
                np.array([[side * 0.18 + yaw, ny + 0.02], [side * (mw + 0.05) + yaw, my - 0.02]]),
                _mix(skin, (60, 60, 90), 0.2 + 0.45 * fold * g),
                0.015 + 0.02 * fold * g,
            )
        cv.mask(
            "au10",
            np.array(
                [
                    [side * 0.12 + yaw, ny],
                    [side * 0.3 + yaw, ny],
                    [side * (mw + 0.12) + yaw, my + 0.05],
                    [side * (mw - 0.05) + yaw, my + 0.05],
                ]
            ),
        )
    cv.mask(
        "au10",
        np.array(
            [
                [-mw - 0.05 + yaw, ny + 0.08],
                [mw + 0.05 + yaw, ny + 0.08],
                [mw + 0.05 + yaw, my + 0.06],
                [-mw - 0.05 + yaw, my + 0.06],
            ]
        ),
    )
    gl, gr = side_gain(-1), side_gain(1)
    upper = np.array(
        [
            [-mw + yaw, my],
            [-mw * 0.5 + yaw, my - 0.035 - raise_ * gl],
            [yaw, my - 0.02 - raise_ * (gl + gr) / 2],
            [mw * 0.5 + yaw, my - 0.035 - raise_ * gr],
            [mw + yaw, my],
        ]
    )
    lower = np.array(
        [[mw + yaw, my], [mw * 0.45 + yaw, my + jaw + 0.02], [-mw * 0.45 + yaw, my + jaw + 0.02], [-mw + yaw, my]]
    )
    opening = raise_ + jaw > 0.06
    cv.poly(np.vstack([upper, lower]), idn.lip_bgr)
    if opening:
        inner_top = upper * [0.85, 1] + [[0, 0.02]]
        inner_bot = lower * [0.85, 1] - [[0, 0.02]]
        cv.poly(np.vstack([inner_top, inner_bot]), (40, 30, 60))
        if a["au10"] > 0.35:  # teeth show under the raised lip
            cv.poly(
                np.array(
                    [
                        [-mw * 0.6 + yaw, my - raise_ + 0.01],
                        [mw * 0.6 + yaw, my - raise_ + 0.01],
                        [mw * 0.55 + yaw, my - 0.0],
                        [-mw * 0.55 + yaw, my - 0.0],
                    ]
                ),
                (225, 230, 235),
            )
        if scene.tongue:
            cv.poly(_ellipse(yaw + 0.03, my + jaw * 0.8, mw * 0.45, 0.07 + jaw * 0.3), (120, 110, 215))
    else:
        cv.line(np.array([[-mw + yaw, my], [yaw, my + 0.005], [mw + yaw, my]]), (35, 30, 60), 0.026)
    if scene.pacifier:
        cv.poly(_ellipse(yaw, my + 0.02, 0.32, 0.2), (230, 200, 120))
        cv.poly(_ellipse(yaw, my + 0.02, 0.12, 0.08), (250, 250, 250))

    # --- Glasses and occluders ----------------------------------------------------------------------------
    if idn.glasses:
        for side in (-1, 1):
            cv.line(
                _ellipse(side * idn.eye_spacing + yaw, ey, idn.eye_size * 1.45, idn.eye_size * 1.05, n=28),
                (30, 30, 30),
                0.025,
            )
        cv.line(
            np.array(
                [[-idn.eye_spacing + idn.eye_size * 1.45 + yaw, ey], [idn.eye_spacing - idn.eye_size * 1.45 + yaw, ey]]
            ),
            (30, 30, 30),
            0.025,
        )
    if scene.occluder == "surgical_mask":
        cv.poly(np.array([[-1.0, ny - 0.12], [1.0, ny - 0.12], [0.85, 0.95 * fa], [-0.85, 0.95 * fa]]), (215, 195, 160))
    elif scene.occluder == "hand":
        hx = float(rng.uniform(-0.4, 0.4))
        cv.poly(_ellipse(hx, 0.35 * fa, 0.45, 0.38), _shade(idn.skin_bgr, 0.97))
        for k in range(4):
            cv.poly(_ellipse(hx - 0.3 + k * 0.2, 0.0 * fa, 0.08, 0.3), _shade(idn.skin_bgr, 0.95 - 0.02 * k))

    # --- Light, resolution, noise ---------------------------------------------------------------------------
    out = cv.img.astype(np.float32)
    if scene.light_gradient:
        ramp = 1.0 + 0.25 * scene.light_gradient * np.linspace(-1, 1, s, dtype=np.float32)
        out *= ramp[None, :, None]
    out *= scene.brightness if scene.background != "plain" else 1.0
    if scene.downsample > 1.0:
        small = max(16, int(s / scene.downsample))
        out = cv2.resize(
            cv2.resize(out, (small, small), interpolation=cv2.INTER_AREA), (s, s), interpolation=cv2.INTER_LINEAR
        )
    if scene.blur_px > 0:
        out = cv2.GaussianBlur(out, (0, 0), scene.blur_px * s / BLUR_REFERENCE_PX)
    if scene.noise_sigma > 0:
        out += rng.normal(0.0, scene.noise_sigma, out.shape).astype(np.float32)
    image = np.clip(out, 0, 255).astype(np.uint8)

    regions = {au: cv.masks[i] for i, au in enumerate(AUS)}
    return image, pack_masks(regions, cv.masks[FACE_BIT])

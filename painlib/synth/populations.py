"""Populations of synthetic people and how their images are sampled.

Each population mimics the structure of a real source used by the two studies:

==========  ===========================================================================================
``unbc``    UNBC-McMaster-like video frames: low resolution, clutter, pain episodes over time, PSPI 0–16
            (AU43 is binary there), levels from PSPI.
``mint``    MInt-PAIN-like: two trials per subject, five stimulation levels (0 = none … 4), studio light.
``delaware`` Delaware-like studio photographs: one or two neutral and painful photos per person, binary.
``cp``      adults with cerebral palsy: asymmetry, head tilt, open mouth, tongue, atypical expressions;
            each video has a stimulus (injection, stretching, other) and yields a pain and a rest frame.
``neonate`` newborns: proportions, pacifier, crying mouth; UNIFESP-like NICU frames or iCOPE-like photos
            with the iCOPE stimuli (rest, cry, air, friction, pain).
==========  ===========================================================================================

The numbers that shape each population (how often pain shows, how strongly, what confounds it) are plain
module constants so a reader can find and change them. Used by chapter 00 and every chapter on synthetic data.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..facs import AUS, pspi, pspi_level
from ..session import keyed_rng
from .render import Identity, Scene

POPULATIONS: tuple[str, ...] = ("unbc", "mint", "delaware", "cp", "neonate")

#: Share of CP videos per stimulus, from the CP paper (77 / 32 / 18 of 127 recordings).
CP_STIMULI: dict[str, float] = {"injection": 77 / 127, "stretching": 32 / 127, "other": 18 / 127}
#: iCOPE image counts per stimulus (Brahnam et al.); only rest and pain are used for training.
ICOPE_STIMULI: dict[str, int] = {"rest": 63, "cry": 18, "air": 23, "friction": 36, "pain": 60}

#: Skin tones (BGR) as a camera exposed for the face records them; the darkest is no darker than a
#: well-exposed photograph of very dark skin, where eyes, brows and lips still show.
_SKIN = np.array([[205, 222, 245], [170, 200, 235], [140, 175, 215], [100, 140, 190], [70, 105, 150], [60, 85, 125]])
_HAIR = np.array([[30, 30, 35], [30, 50, 90], [60, 90, 150], [140, 170, 200], [170, 170, 175], [20, 40, 120]])
_NEONATE_HAIR = [0, 1, 2, 3, 5]  # rows of _HAIR: newborns are not grey
#: Lips are redder and darker than the skin around them, whatever its tone (BGR gains).
_LIP_GAIN = np.array([0.72, 0.70, 0.95])
_IRIS = np.array([[60, 40, 30], [120, 90, 40], [40, 90, 60], [30, 60, 110]])


def sample_identity(rng: np.random.Generator, population: str) -> Identity:
    """Draw the appearance of one person of ``population`` (see :data:`POPULATIONS`)."""
    if population not in POPULATIONS:
        raise ValueError(f"unknown population {population!r}; expected one of {POPULATIONS}")
    skin = _SKIN[rng.integers(len(_SKIN))] * rng.uniform(0.95, 1.05, 3)
    skin = np.clip(skin, 30, 250)
    lip = np.clip(skin * rng.uniform(0.85, 1.0) * _LIP_GAIN, 0, 255)
    neonate = population == "neonate"
    style = rng.choice(["short", "long", "bald", "cap"], p=[0.5, 0.3, 0.12, 0.08])
    if neonate:
        style = rng.choice(["bald", "short", "cap"], p=[0.45, 0.3, 0.25])
    idn = Identity(
        skin_bgr=tuple(int(c) for c in skin),
        hair_bgr=tuple(int(c) for c in _HAIR[rng.choice(_NEONATE_HAIR) if neonate else rng.integers(len(_HAIR))]),
        iris_bgr=tuple(int(c) for c in _IRIS[rng.integers(len(_IRIS))]),
        lip_bgr=tuple(int(c) for c in lip),
        face_aspect=float(rng.uniform(1.15, 1.4)) if not neonate else float(rng.uniform(1.0, 1.12)),
        eye_spacing=float(rng.uniform(0.36, 0.44)),
        # eyes and mouth at their photographic share of the face (an eye ~1/5 of the face width, the mouth ~1/3)
        eye_size=float(rng.uniform(0.17, 0.23)) if not neonate else float(rng.uniform(0.18, 0.24)),
        brow_thickness=float(rng.uniform(0.04, 0.08)) if not neonate else float(rng.uniform(0.015, 0.03)),
        nose_length=float(rng.uniform(0.45, 0.6)) if not neonate else float(rng.uniform(0.35, 0.42)),
        mouth_width=float(rng.uniform(0.29, 0.4)) if not neonate else float(rng.uniform(0.24, 0.31)),
        hair_style=str(style),
        glasses=bool(rng.random() < (0.15 if population in ("unbc", "delaware", "mint") else 0.05 * (not neonate))),
        rest_brow_drop=float(rng.beta(0.8, 1.4)),
        rest_lid_narrow=float(rng.beta(0.8, 1.4)),
        rest_nasolabial=float(rng.beta(0.8, 1.4)),
        asymmetry=float(rng.uniform(0.2, 0.9)) if population == "cp" else 0.0,
        neonate=neonate,
    )
    return idn


def pain_recipe(rng: np.random.Generator) -> dict[str, float]:
    """How one person shows pain: a weight 0.15–1.2 per AU, two or three AUs dominating.

    People differ in which AUs carry their pain (Kunz & Lautenbacher describe such expression clusters), so a
    model that has seen a person in pain knows their recipe; an unseen person may use a rarer one.
    """
    weights = rng.uniform(0.15, 0.55, len(AUS))
    weights[rng.choice(len(AUS), size=int(rng.integers(2, 4)), replace=False)] = rng.uniform(0.9, 1.2)
    return dict(zip(AUS, weights.tolist()))


def pain_aus(
    rng: np.random.Generator, strength: float, atypical: bool = False, recipe: dict[str, float] | None = None
) -> dict[str, float]:
    """Integer AU intensities (0–5) for a pain expression of ``strength`` 0–1.

    ``recipe`` weights each AU (see :func:`pain_recipe`; default: all equal). A typical pain face recruits
    the four PSPI components together; an atypical one (CP) recruits only one or two of them, weaker.
    At least one AU is non-zero whenever ``strength > 0``.
    """
    base = strength * 5.0
    recipe = recipe or dict.fromkeys(AUS, 0.8)
    aus = {au: base * recipe[au] * rng.uniform(0.8, 1.1) for au in AUS}
    aus["au43"] = aus["au43"] if rng.random() < 0.6 else 0.0
    if atypical:
        keep = set(rng.choice(["au4", "au6", "au7", "au9", "au10", "au43"], size=2, replace=False))
        aus = {au: (v * rng.uniform(0.4, 0.8) if au in keep else 0.0) for au, v in aus.items()}
    out = {au: float(np.clip(np.round(v), 0, 5)) for au, v in aus.items()}
    if strength > 0 and pspi(out) == 0:
        out[str(rng.choice(["au4", "au6", "au7"]))] = 1.0
    return out


def no_pain_aus() -> dict[str, float]:
    return {au: 0.0 for au in AUS}


def base_scene(rng: np.random.Generator, population: str, size_px: int) -> Scene:
    """Nuisances typical of each source: pose, light, background, resolution."""
    common = dict(
        size_px=size_px,
        face_scale=float(rng.uniform(0.22, 0.29)),
        center=(float(rng.uniform(0.43, 0.57)), float(rng.uniform(0.42, 0.52))),
        roll_deg=float(rng.normal(0, 4)),
        yaw=float(rng.normal(0, 0.25)),
        light_gradient=float(rng.uniform(-0.5, 0.5)),
        brightness=float(rng.uniform(0.85, 1.1)),
        noise_sigma=float(rng.uniform(1.0, 4.0)),
        clutter_seed=int(rng.integers(2**31)),
    )
    if population == "unbc":
        return Scene(**common, background="clutter", background_bgr=(150, 160, 165), downsample=2.4, blur_px=1.0)
    if population == "mint":
        return Scene(**common, background="plain", background_bgr=(60, 60, 60), blur_px=1.0)
    if population == "delaware":
        common.update(
            roll_deg=float(rng.normal(0, 1.5)), yaw=float(rng.normal(0, 0.08)), light_gradient=0.0, noise_sigma=1.0
        )
        return Scene(**common, background="studio", background_bgr=(235, 235, 235), blur_px=0.8)
    if population == "cp":
        common.update(roll_deg=float(rng.normal(0, 9)), yaw=float(rng.normal(0, 0.3)))
        return Scene(**common, background="clutter", background_bgr=(185, 200, 205), blur_px=1.1, downsample=1.5)
    if population == "neonate":
        common.update(roll_deg=float(rng.normal(0, 10)), face_scale=float(rng.uniform(0.25, 0.33)))
        return Scene(**common, background="clutter", background_bgr=(225, 225, 230), blur_px=1.1, downsample=1.8)
    raise ValueError(f"unknown population {population!r}; expected one of {POPULATIONS}")


def jitter_scene(scene: Scene, rng: np.random.Generator, amount: float) -> Scene:
    """A nearby frame of the same video: the same scene, moved by ``amount`` (0 = identical, 1 = a new pose)."""
    return replace(
        scene,
        center=(
            scene.center[0] + float(rng.normal(0, 0.01 * amount)),
            scene.center[1] + float(rng.normal(0, 0.01 * amount)),
        ),
        roll_deg=scene.roll_deg + float(rng.normal(0, 2 * amount)),
        yaw=float(np.clip(scene.yaw + rng.normal(0, 0.08 * amount), -0.8, 0.8)),
        face_scale=scene.face_scale * float(1 + rng.normal(0, 0.02 * amount)),
        clutter_seed=scene.clutter_seed,
    )


#: Default number of images per subject, chosen to match the sources (UNBC and MInt give many frames per
#: person, Delaware three or four photos, CP-PAIN two frames per video, UNIFESP twelve images per neonate).
IMAGES_PER_SUBJECT: dict[str, int] = {"unbc": 40, "mint": 40, "delaware": 4, "cp": 6, "neonate": 12}


def plan_subject(population: str, subject: int, seed: int, n_images: int, size_px: int) -> list[dict]:
    """Everything needed to draw one subject's images: identity, AUs, scene and the manifest fields.

    Deterministic in ``(population, subject, seed)``; the order of calls does not matter. Each row holds
    ``aus`` (the FACS coding that goes to the manifest) and ``render_aus`` (the intensities drawn; they differ
    only where a source codes an AU coarser than the face shows it, as UNBC's present/absent AU43).

    Random streams are keyed by name (:func:`painlib.session.keyed_rng`): the subject's own stream
    ``("subject", population, subject)``, one per UNBC episode ``("episode", …, q)`` and one per MInt trial
    level ``("level", …, trial, level)``; :func:`painlib.synth.render_subject` draws each image from
    ``("render", population, subject, image_index)`` and each video's clutter from ``(clutter_seed, "clutter")``.
    The names keep them apart whatever the indices (with bare index lists, image 1's stream was episode 1's).
    """
    rng = keyed_rng(seed, "subject", population, subject)
    idn = sample_identity(rng, population)
    scene0 = base_scene(rng, population, size_px)
    # How readily this person shows pain on the face (people differ a lot: Prkachin & Solomon 2008).
    expressiveness = float(rng.uniform(0.35, 1.0))
    recipe = pain_recipe(rng)
    rows: list[dict] = []

    def add(aus, scene, **fields):
        rows.append({"aus": aus, "scene": scene, "identity": idn, **fields})

    if population == "unbc":
        proneness = float(rng.beta(1.3, 1.6))
        n_seq = max(1, n_images // 10)
        for q in range(n_seq):
            seq_scene = jitter_scene(scene0, rng, 1.0)
            peak = expressiveness * (0.3 + 0.7 * rng.random()) if rng.random() < proneness else 0.0
            mouth = float(rng.uniform(0, 0.4)) if rng.random() < 0.3 else 0.0
            n = n_images // n_seq + (q < n_images % n_seq)
            for f in range(n):
                t = (f + 0.5) / n
                strength = peak * float(np.exp(-(((t - 0.5) / 0.22) ** 2)))
                # consecutive frames of one episode share their AU pattern (one random stream per episode)
                episode_rng = keyed_rng(seed, "episode", population, subject, q)
                aus = pain_aus(episode_rng, strength, recipe=recipe) if strength > 0.08 else no_pain_aus()
                # UNBC codes eye closure as present/absent: present means the eyes are closed, so it is
                # drawn closed (intensity 5) while the coding, and PSPI, count it as 1.
                aus["au43"] = float(aus["au43"] >= 2)
                add(
                    aus,
                    jitter_scene(seq_scene, rng, 0.15),
                    video=f"seq{q}",
                    frame=f,
                    stimulus="shoulder_motion",
                    _mouth=mouth,
                    render_aus={**aus, "au43": 5.0 * aus["au43"]},
                )
    elif population == "mint":
        per = max(1, n_images // 10)
        for trial in range(2):
            trial_scene = jitter_scene(scene0, rng, 0.5)
            for level in range(5):
                for f in range(per):
                    strength = expressiveness * level / 4 * float(rng.uniform(0.9, 1.05))
                    level_rng = keyed_rng(seed, "level", population, subject, trial, level)
                    aus = pain_aus(level_rng, strength, recipe=recipe) if level else no_pain_aus()
                    add(
                        aus,
                        jitter_scene(trial_scene, rng, 0.15),
                        video=f"trial{trial}",
                        frame=level * per + f,
                        stimulus="electrical",
                        level=level,
                    )
    elif population == "delaware":
        n_pain = n_images // 2
        for k in range(n_images):
            is_pain = k >= n_images - n_pain
            aus = pain_aus(rng, float(rng.uniform(0.45, 1.0)), recipe=recipe) if is_pain else no_pain_aus()
            add(aus, jitter_scene(scene0, rng, 0.2), video="photo", frame=k, stimulus="posed", level=int(is_pain))
    elif population == "cp":
        open_mouth_habit = rng.random() < 0.5
        tongue_habit = open_mouth_habit and rng.random() < 0.5
        atypical_person = rng.random() < 0.5
        stimuli = list(CP_STIMULI)
        for v in range(max(1, n_images // 2)):
            stimulus = str(rng.choice(stimuli, p=list(CP_STIMULI.values())))
            vid_scene = jitter_scene(scene0, rng, 1.0)
            occluder = str(rng.choice(["none", "hand", "surgical_mask"], p=[0.86, 0.07, 0.07]))
            for moment in ("pain", "rest"):
                strength = expressiveness * float(rng.uniform(0.3, 1.0)) if moment == "pain" else 0.0
                aus = (
                    pain_aus(rng, strength, atypical=atypical_person and rng.random() < 0.7, recipe=recipe)
                    if strength
                    else no_pain_aus()
                )
                mouth = float(rng.uniform(0.3, 0.9)) if open_mouth_habit and rng.random() < 0.8 else 0.0
                scene = replace(jitter_scene(vid_scene, rng, 0.4), occluder=occluder)
                add(
                    aus,
                    scene,
                    video=f"video{v}",
                    frame=int(moment == "rest"),
                    stimulus=stimulus,
                    _mouth=mouth,
                    _tongue=bool(tongue_habit and mouth > 0 and rng.random() < 0.7),
                )
    elif population == "neonate":
        style = "unifesp" if subject % 2 == 0 else "icope"
        if style == "unifesp":
            stimuli = ["rest"] * (n_images - n_images * 164 // 360) + ["pain"] * (n_images * 164 // 360)
        else:
            counts = np.array(list(ICOPE_STIMULI.values()), float)
            picks = rng.choice(list(ICOPE_STIMULI), size=n_images, p=counts / counts.sum())
            stimuli = sorted(picks, key=list(ICOPE_STIMULI).index)
        for k, stimulus in enumerate(stimuli):
            is_pain = stimulus == "pain"
            aus = (
                pain_aus(rng, expressiveness * float(rng.uniform(0.5, 1.0)), recipe=recipe)
                if is_pain
                else no_pain_aus()
            )
            crying = is_pain or stimulus == "cry"
            mouth = float(rng.uniform(0.6, 1.0)) if crying and rng.random() < 0.85 else 0.0
            pacifier = (not crying) and rng.random() < 0.25
            add(
                aus,
                jitter_scene(scene0, rng, 0.6),
                video=style,
                frame=k,
                stimulus=stimulus,
                level=int(is_pain),
                _mouth=mouth,
                _pacifier=pacifier,
                dataset=style,
            )
    else:
        raise ValueError(f"unknown population {population!r}; expected one of {POPULATIONS}")

    for i, row in enumerate(rows):
        scene = replace(
            row["scene"],
            mouth_open=row.pop("_mouth", 0.0),
            tongue=row.pop("_tongue", False),
            pacifier=row.pop("_pacifier", False),
        )
        row["scene"] = scene
        row.setdefault("render_aus", row["aus"])
        score = pspi(row["aus"])
        row.setdefault("dataset", population)
        row.setdefault("level", pspi_level(score))
        row.update(
            population=population,
            subject=f"{row['dataset']}-{subject:04d}",
            image_index=i,
            pspi=score,
            label=int(score > 0),
            occluded=scene.occluder != "none",
        )
    return rows

"""Numbers reported by the source studies, shown beside ours and always labelled as the paper's.

Typed in once here, from the text of the studies (``../shared/seeds``), so that every chapter quotes the same
values and a reader can check them against the source in one place.
"""

from __future__ import annotations

import pandas as pd

#: CP paper: ICC(2,k) of two physiotherapists per source of pain (Table 4) and over all 127 videos
#: (``all``, from the results text), per scale in the paper's column order.
CP_ICC2K = pd.DataFrame(
    {
        "wong_baker": {"injection": 0.412, "stretching": 0.845, "other": 0.661, "all": 0.639},
        "ncapc": {"injection": 0.590, "stretching": 0.739, "other": 0.469, "all": 0.551},
        "facs": {"injection": 0.565, "stretching": 0.891, "other": 0.764, "all": 0.751},
    }
).rename_axis(index="stimulus", columns="scale")

#: CP paper, Table 4: videos the two raters' consensus rated "no pain" / "pain", per scale.
CP_CONSENSUS_COUNTS = pd.DataFrame(
    {"no pain": {"wong_baker": 20, "ncapc": 19, "facs": 16}, "pain": {"wong_baker": 107, "ncapc": 108, "facs": 111}}
).rename_axis(index="scale")

#: CP paper, data collection: recordings per source of pain (77 injection, 32 stretching, 18 other).
CP_VIDEOS_PER_STIMULUS = pd.Series({"injection": 77, "stretching": 32, "other": 18}, name="videos")

#: CP paper, Table 2: the sources of PAIN-DB (users, images, pain levels, resolution width × height).
PAIN_DB_TABLE2 = pd.DataFrame(
    {
        "users": {"mint": 20, "delaware": 240, "unbc": 25, "total": 285},
        "images": {"mint": 800, "delaware": 803, "unbc": 980, "total": 2583},
        "levels": {"mint": 5, "delaware": 2, "unbc": 5, "total": 2},
        "resolution": {"mint": "1920 × 1080", "delaware": "5152 × 3864", "unbc": "320 × 240", "total": "mixed"},
    }
).rename_axis("dataset")

#: CP paper, results: Figures 4 and 5 give the metrics of every model as bars, not numbers; the text states these
#: values only (scenario → model × metric): InceptionV3 on CP-PAIN after training on PAIN-DB, 62.67 %, F1 61.12 %.
CP_STATED_METRICS = {
    "cross_dataset": pd.DataFrame({"accuracy": {"inceptionv3": 0.6267}, "f1": {"inceptionv3": 0.6112}}),
}
#: CP paper, results: the best accuracy on users unseen in training ("a maximum of 70 %", subject-wise) and on
#: CP-PAIN (the stated InceptionV3 result above).
CP_BEST_ACCURACY = pd.Series(
    {"subject_wise": 0.70, "cross_dataset": CP_STATED_METRICS["cross_dataset"].loc["inceptionv3", "accuracy"]},
    name="accuracy",
)
#: CP paper, training: a learning-rate sweep over three orders of magnitude, 50 epochs each on a training–
#: validation partition, chose 0.001; the models then trained 30 epochs, five folds or five repeats per scenario.
CP_TRAINING = {
    "sweep_learning_rates": (0.01, 0.001, 0.0001),
    "sweep_epochs": 50,
    "learning_rate": 0.001,
    "epochs": 30,
    "folds": 5,
    "repeats": 5,
}

#: CP paper: PAIN-DB draws up to 20 frames per person and class from the video sources (UNBC-McMaster, MInt PAIN).
PAIN_DB_FRAMES_PER_CLASS = 20

#: CP paper: CP-PAIN kept 109 frames after leaving out occluded videos (two frames per video).
CP_PAIN_IMAGES = 109

#: Neonatal dissertation, section 3.1: images per dataset and class (iCOPE: rest and pain only are used).
NEONATAL_IMAGES = pd.DataFrame(
    {
        "neonates": {"unifesp": 30, "icope": 26},
        "images": {"unifesp": 360, "icope": 123},
        "pain": {"unifesp": 164, "icope": 60},
        "no pain": {"unifesp": 196, "icope": 63},
    }
).rename_axis("dataset")

#: CP paper, Table 3: parameters per network as printed (they match a six-way head for the four hand-built
#: networks, see ``painlib.models.describe``), keyed by the zoo's model names in the table's order.
CP_TABLE3_PARAMETERS = pd.Series(
    {
        "alexnet": "88.7 M",
        "songnet": "172.7 K",
        "weinet": "1.7 M",
        "vgg16": "14.7 M",
        "vgg19": "20 M",
        "resnet50": "23.6 M",
        "resnet101v2": "42.6 M",
        "inceptionv3": "21.8 M",
        "xception": "20.9 M",
        "silnet": "184.9 M",
    },
    name="parameters",
).rename_axis("model")

#: Neonatal dissertation, section 3.3: total parameters of the VGG-Face model and of the adapted N-CNN.
NEONATAL_PARAMETERS = pd.Series({"vggface": 27_823_938, "ncnn": 78_234}, name="parameters").rename_axis("model")


#: Neonatal dissertation, sections 3.3.1-3.3.3: the offline augmentation (Keras ImageDataGenerator terms; shear
#: in degrees), copies made per original, the leave-some-subjects-out folds, the mini-batch, RMSprop's learning
#: rates before and during VGG-Face's fine-tuning, and the early-stopping patience of each network (epochs).
NEONATAL_PROTOCOL = {
    "copies": 20,
    "rotation_deg": 30.0,
    "shear_deg": 0.15,
    "shift": 0.2,
    "brightness": (0.5, 1.1),
    "zoom": (0.7, 1.5),
    "horizontal_flip": True,
    "folds": 10,
    "test_share": 0.1,
    "batch_size": 16,
    "learning_rate": 1e-4,
    "fine_tune_learning_rate": 1e-6,
    "vggface_patience": 5,
    "ncnn_patience": 10,
}


def _per_fold(printed: str) -> dict[str, pd.DataFrame]:
    """Tables as the dissertation prints them — per line a model, a metric and its ten per-fold percentages —
    as one table per model of fractions, metrics as rows and folds "1" … "10" as columns."""
    tables: dict[str, dict[str, list[float]]] = {}
    for line in printed.strip().splitlines():
        model, metric, *values = line.split()
        tables.setdefault(model, {})[metric] = [float(v) / 100 for v in values]
    folds = pd.Index([str(i) for i in range(1, 11)], name="fold")
    return {model: pd.DataFrame(rows, index=folds).T for model, rows in tables.items()}


#: Neonatal dissertation, Tables 1 (VGG-Face) and 2 (adapted N-CNN): per leave-some-subjects-out fold, as
#: fractions; "sensitivity" is the table's "Sensibility" (recall of pain). Averages and standard deviations as
#: printed are in NEONATAL_TABLE_AVERAGES.
NEONATAL_TABLES = _per_fold(
    """
    vggface accuracy    96.6  84.0 72.7  92.0 92.5  91.1 84.3  76.0 83.3 89.6
    vggface precision   93.9  82.6 79.3  95.7 94.1  84.4 88.0  71.4 82.8 86.7
    vggface sensitivity 100.0 82.6 71.9  88.0 94.1 100.0 81.5 100.0 88.9 96.3
    vggface f1          96.9  82.6 75.4  91.7 94.1  91.5 84.6  83.3 85.7 91.2
    vggface auc         96.4  83.9 72.9  92.0 91.8  91.4 84.5  70.0 82.5 88.6
    ncnn    accuracy    79.7  72.0 81.8  76.0 66.0  71.4 90.2  82.0 79.2 72.9
    ncnn    precision   73.2  63.6 82.4  67.6 73.5  69.0 92.3  78.4 74.3 71.9
    ncnn    sensitivity 96.8  91.3 87.5 100.0 73.5  74.1 88.9  96.7 96.3 85.2
    ncnn    f1          83.3  75.0 84.9  80.7 73.5  71.4 90.6  86.6 83.9 78.0
    ncnn    auc         78.7  73.4 80.7  76.0 63.1  71.5 90.3  78.3 76.7 71.2
    """
)

#: The "Average" column of Tables 1 and 2 as printed: (mean, standard deviation) per metric, as fractions.
NEONATAL_TABLE_AVERAGES = {
    "vggface": {
        "accuracy": (0.862, 0.07),
        "precision": (0.859, 0.07),
        "sensitivity": (0.903, 0.09),
        "f1": (0.877, 0.06),
        "auc": (0.854, 0.08),
    },
    "ncnn": {
        "accuracy": (0.771, 0.07),
        "precision": (0.746, 0.08),
        "sensitivity": (0.890, 0.09),
        "f1": (0.808, 0.06),
        "auc": (0.760, 0.07),
    },
}


#: Both papers call an image pain when the pain output of the two-way softmax is the larger: a probability of pain
#: of at least 0.5. The book keeps it unless a profile chooses a threshold on validation people.
DECISION_THRESHOLD = 0.5


#: Dissertation, Section 4: the six sources of attention maps in its Tables 3–5, in its order, by the book's names.
ATTENTION_SOURCES = {
    "experts": "Experts",
    "gradcam_ncnn": "GradCAM|N-CNN",
    "gradcam_vggface": "GradCAM|VGG-Face",
    "ig_ncnn": "I.G.|N-CNN",
    "ig_vggface": "I.G.|VGG-Face",
    "parents": "Parents",
}


def _pair_table(rows: str) -> pd.DataFrame:
    """A symmetric source × source table typed as one row per line, in :data:`ATTENTION_SOURCES` order."""
    names = list(ATTENTION_SOURCES)
    values = [[float("nan") if v == "-" else float(v) for v in line.split()] for line in rows.strip().splitlines()]
    return pd.DataFrame(values, index=names, columns=names).rename_axis(index="source", columns="with")


#: Dissertation, Tables 3 ("pain" images) and 4 ("no pain"): mean cosine, Spearman and overlap over the ten
#: neonates of every pair of sources. Table 5: p-values of pain against no pain per pair (Shapiro–Wilk, then
#: Student's t or Mann–Whitney U), with "-" on the diagonal.
ATTENTION_TABLES = {
    ("pain", "cosine"): _pair_table(
        """
        1.0000 0.3670 0.5812 0.3865 0.3930 0.7505
        0.3670 1.0000 0.3242 0.3319 0.1893 0.3546
        0.5812 0.3242 1.0000 0.3224 0.3244 0.5618
        0.3865 0.3319 0.3224 1.0000 0.2511 0.3607
        0.3930 0.1893 0.3244 0.2511 1.0000 0.4202
        0.7505 0.3546 0.5618 0.3607 0.4202 1.0000
        """
    ),
    ("pain", "spearman"): _pair_table(
        """
        1.0000 0.1953 0.4272 0.2584 0.1925 0.6161
        0.1953 1.0000 0.2285 0.2494 0.0518 0.1545
        0.4272 0.2285 1.0000 0.2281 0.1643 0.3959
        0.2584 0.2494 0.2281 1.0000 0.0635 0.2073
        0.1925 0.0518 0.1643 0.0635 1.0000 0.2048
        0.6161 0.1545 0.3959 0.2073 0.2048 1.0000
        """
    ),
    ("pain", "overlap"): _pair_table(
        """
        1.0000 0.6376 0.7336 0.6651 0.6115 0.8167
        0.6376 1.0000 0.7581 0.8016 0.7229 0.5979
        0.7336 0.7581 1.0000 0.7484 0.7049 0.6974
        0.6651 0.8016 0.7484 1.0000 0.7099 0.6230
        0.6115 0.7229 0.7049 0.7099 1.0000 0.5894
        0.8167 0.5979 0.6974 0.6230 0.5894 1.0000
        """
    ),
    ("no_pain", "cosine"): _pair_table(
        """
        1.0000 0.2230 0.5784 0.4055 0.4908 0.7600
        0.2230 1.0000 0.1457 0.1892 0.1633 0.2055
        0.5784 0.1457 1.0000 0.4222 0.5022 0.5490
        0.4055 0.1892 0.4222 1.0000 0.2704 0.3905
        0.4908 0.1633 0.5022 0.2704 1.0000 0.4831
        0.7600 0.2055 0.5490 0.3905 0.4831 1.0000
        """
    ),
    ("no_pain", "spearman"): _pair_table(
        """
        1.0000 -0.0664 0.4346 0.2110 0.3303 0.5888
        -0.0664 1.0000 -0.0873 -0.0249 -0.0595 -0.1327
        0.4346 -0.0873 1.0000 0.2606 0.3393 0.3824
        0.2110 -0.0249 0.2606 1.0000 0.0743 0.1695
        0.3303 -0.0595 0.3393 0.0743 1.0000 0.3146
        0.5888 -0.1327 0.3824 0.1695 0.3146 1.0000
        """
    ),
    ("no_pain", "overlap"): _pair_table(
        """
        1.0000 0.5137 0.7033 0.6355 0.6317 0.7714
        0.5137 1.0000 0.6364 0.6789 0.6556 0.4419
        0.7033 0.6364 1.0000 0.7529 0.7605 0.6452
        0.6355 0.6789 0.7529 1.0000 0.6990 0.5800
        0.6317 0.6556 0.7605 0.6990 1.0000 0.5806
        0.7714 0.4419 0.6452 0.5800 0.5806 1.0000
        """
    ),
    ("p_value", "cosine"): _pair_table(
        """
        - 0.0116 0.9335 0.5815 0.1353 0.7337
        0.0116 - 0.0098 0.0036 0.8501 0.0046
        0.9335 0.0098 - 0.0098 0.0002 0.3847
        0.5815 0.0036 0.0098 - 0.6776 0.4489
        0.1353 0.8501 0.0002 0.6776 - 0.2474
        0.7337 0.0046 0.3847 0.4489 0.2474 -
        """
    ),
    ("p_value", "spearman"): _pair_table(
        """
        - 0.0025 0.8719 0.2142 0.1217 0.5057
        0.0025 - 0.0008 0.0000 0.0450 0.0022
        0.8719 0.0008 - 0.4528 0.0025 0.3847
        0.2142 0.0000 0.4528 - 0.7344 0.4423
        0.1217 0.0450 0.0025 0.7344 - 0.1911
        0.5057 0.0022 0.3847 0.4423 0.1911 -
        """
    ),
    ("p_value", "overlap"): _pair_table(
        """
        - 0.0026 0.1458 0.1270 0.4722 0.0579
        0.0026 - 0.0016 0.0001 0.0046 0.0002
        0.1458 0.0016 - 0.8072 0.0176 0.0312
        0.1270 0.0001 0.8072 - 0.3901 0.1720
        0.4722 0.0046 0.0176 0.3901 - 0.7491
        0.0579 0.0002 0.0312 0.1720 0.7491 -
        """
    ),
}

#: Dissertation, Section 4.2: agreement bands of a pair's mean — strong from the first bound, moderate above
#: the second, weak at or below it.
STRENGTH_BANDS = {"cosine": (0.70, 0.50), "spearman": (0.60, 0.40), "overlap": (0.70, 0.50)}

#: Dissertation, Sections 3.2–3.5: the eye-tracking study and the post-processing of the maps.
ATTENTION_PROTOCOL = {
    "participants": {"experts": 44, "parents": 29},
    "neonates": 10,
    "images": 20,
    "seconds_per_image": 7.0,
    "sampling_hz": 300,
    "min_fixation_ms": 60,
    "max_dispersion_deg": 0.5,
    "min_valid_share": 0.70,
    "screen_px": (1280, 1024),
    "clusters": 5,
    "blur_kernel_px": 11,
    "blur_sigma_px": 2.0,
    "c_xai": 0.5,
    "c_human": 0.1,
    "alpha": 0.05,
}

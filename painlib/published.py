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

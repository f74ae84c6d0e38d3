"""Tables and figures as a reader reads them: names instead of identifiers, numbers in one format, nothing cut."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from painlib import display, plots  # noqa: E402


def test_identifiers_in_prose_become_names_but_paths_and_longer_words_do_not():
    text = "The maps of `silnet` and ncnn; image_wise beat subject_wise in vgg16. See data/alexnet.keras, ncnn_x."
    assert display.words(text) == (
        "The maps of SilNet and N-CNN; image-wise beat subject-wise in VGG16. See data/alexnet.keras, ncnn_x."
    )
    assert display.words("`min_confidence` and wong_baker") == "`min_confidence` and Wong-Baker"


def test_a_list_in_a_sentence_joins_its_last_item_with_and():
    assert display.listing([]) == ""
    assert display.listing(["`songnet`"]) == "`songnet`"
    assert display.words("maps of " + display.listing(["`songnet`", "`weinet`"])) == "maps of SongNet and WeiNet"
    assert display.listing(["a", "b", "c"], "or") == "a, b or c"


def test_numbers_read_in_one_format_per_column():
    table = pd.DataFrame(
        {
            "auc": [0.52, 0.49178, np.nan],
            "p_holm": [0.0, 0.0421, 1.0],
            "parameters": [27823938, 154754, 20],
            "learning_rate": [1e-4, 1e-5, 1e-3],
            "other_rate": [1e-4, 1e-2, 1e-3],
            "train_seconds": [19.229, 9.187, 3.0],
            "learned": [True, False, True],
            "pval": [2e-9, 0.5, np.nan],
        },
        index=pd.Index(["vggface", "ncnn", "small_cnn"], name="model"),
    )
    out = display.readable(table)
    assert out["auc"].tolist() == ["0.520", "0.492", "—"]  # trailing zeros kept: 0.52 and 0.492 line up
    assert out["p_holm"].tolist() == ["< 0.001", "0.042", "1.000"]  # never "0.0"
    assert out["pval"].tolist() == ["< 0.001", "0.500", "—"]
    assert out["parameters"].tolist() == ["27,823,938", "154,754", "20"]
    assert out["learning_rate"].tolist() == ["0.0001", "0.00001", "0.001"]  # not 0.000, not 1e-05
    assert out["other_rate"].tolist() == ["0.0001", "0.010", "0.001"]
    assert out["train_seconds"].tolist() == ["19.2", "9.2", "3.0"]
    assert out["learned"].tolist() == ["yes", "no", "yes"]
    assert out.index.tolist() == ["VGG-Face", "N-CNN", "small CNN (control)"]
    assert table.index[0] == "vggface" and table["auc"].iloc[0] == 0.52  # the data keep their identifiers
    settings = pd.DataFrame({"alexnet": [48, 6, 1e-4, 0.5, "none"]}, index=["px", "epochs", "rate", "share", "aug"])
    assert display.readable(settings)["AlexNet"].tolist() == ["48", "6", "0.0001", "0.500", "none"]  # each its own


def test_names_reach_cells_column_labels_and_multiindex_keys_and_html_is_never_cut():
    wide = pd.DataFrame(
        [["a sentence much longer than pandas' fifty characters shown by default, to the end"] * 30],
        columns=pd.MultiIndex.from_product([["image_wise", "cross_dataset"], [f"c{i}" for i in range(15)]]),
    )
    html = display.table_html(wide)
    assert "..." not in html and "…" not in html and "to the end" in html
    assert "image-wise" in html and "PAIN-DB → CP-PAIN" in html and "image_wise" not in html
    cells = display.readable(pd.DataFrame({"scale": ["wong_baker", "facs"], "year": [2024, 2022]}))
    assert cells["scale"].tolist() == ["Wong-Baker", "FACS"] and cells["year"].tolist() == ["2024", "2022"]


def test_figures_name_categories_legends_and_titles():
    results = pd.DataFrame(
        {"scenario": ["image_wise", "subject_wise", "cross_dataset"] * 2, "accuracy": [0.7, 0.6, 0.5] * 2}
    )
    fig = plots.scenario_bars(results)
    fig.canvas.draw()  # a later draw keeps the names
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["image-wise", "subject-wise", "PAIN-DB → CP-PAIN"]
    plt.close(fig)
    histories = pd.DataFrame(
        {
            "model": ["vggface"] * 4 + ["ncnn"] * 4,
            "learning_rate": [1e-3, 1e-3, 1e-4, 1e-4] * 2,
            "epoch": [1, 2, 1, 2] * 2,
            "loss": [0.7, 0.6, 0.69, 0.68] * 2,
        }
    )
    fig = plots.learning_curves(histories, style="learning_rate")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "VGG-Face" in legend and "N-CNN" in legend and "learning rate" in legend
    assert not any("_" in t for t in legend)
    plt.close(fig)


def test_a_summary_reads_mean_plus_minus_sd_with_its_runs_and_a_default_index_is_left_out():
    summary = pd.DataFrame(
        {
            "model": ["alexnet", "songnet"],
            "accuracy_mean": [0.662, 0.655],
            "accuracy_std": [np.nan, 0.0131],
            "accuracy_n": [1, 3],
            "auc_mean": [0.719, 0.713],
            "auc_std": [np.nan, 0.053],
            "auc_n": [1, 3],
        }
    )
    out = display.readable(summary)
    assert list(out.columns) == ["model", "accuracy", "auc", "runs"]
    assert out["accuracy"].tolist() == ["0.662", "0.655 ± 0.013"] and out["runs"].tolist() == ["1", "3"]
    fewer = display.readable(summary.assign(auc_n=[1, 2]))  # one fold without an AUC
    assert list(fewer.columns) == ["model", "accuracy", "accuracy runs", "auc", "auc runs"]
    html = display.table_html(summary)
    assert "<th>0</th>" not in html and "AlexNet" in html  # the default index is left out
    assert "<th>AlexNet</th>" in display.table_html(summary.set_index("model"))  # a named index is kept


def test_the_provenance_table_shows_the_parameters_as_the_page_ran_with_them():
    from painlib.provenance import provenance

    html = display.table_html(provenance({"scenario": "image_wise", "models": ["alexnet"], "alpha": 0.05}))
    assert "scenario = &#x27;image_wise&#x27;" in html or "scenario = 'image_wise'" in html
    assert "alexnet" in html and "AlexNet" not in html and "image-wise" not in html


def test_the_attention_sources_read_as_the_dissertation_labels_them():
    from painlib.published import ATTENTION_SOURCES

    for source, label in ATTENTION_SOURCES.items():
        if source.startswith(("gradcam", "ig")):
            assert display.name(source) == label

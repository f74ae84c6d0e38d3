"""Classification metrics of the papers (accuracy, precision, recall, F1, AUC), on top of scikit-learn."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def classification_metrics(y_true, y_pred, y_score=None) -> dict[str, float]:
    """Accuracy, macro and per-class precision / recall / F1, ``auc_labels`` (the AUC of the predicted labels,
    i.e. balanced accuracy) and ``auc`` (of the scores) when scores are given; both AUCs need both classes.

    Parameters
    ----------
    y_true, y_pred : (N,) labels 0 (no pain) / 1 (pain).
    y_score : (N,) probability of pain, optional.
    """
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {y_true.shape} vs {y_pred.shape}")
    p, r, f, _ = skm.precision_recall_fscore_support(y_true, y_pred, labels=[0, 1], zero_division=0)
    out = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "precision": float(np.mean(p)),
        "recall": float(np.mean(r)),
        "f1": float(np.mean(f)),
        "precision_no_pain": p[0],
        "precision_pain": p[1],
        "recall_no_pain": r[0],
        "recall_pain": r[1],
        "f1_no_pain": f[0],
        "f1_pain": f[1],
    }
    if len(np.unique(y_true)) == 2:
        # The AUC of the predicted labels, (sensitivity + specificity) / 2: what the neonatal dissertation's
        # Tables 1-2 report as "AUC" (their per-fold values follow from their other rows this way).
        out["auc_labels"] = skm.roc_auc_score(y_true, y_pred)
        if y_score is not None:
            out["auc"] = skm.roc_auc_score(y_true, np.asarray(y_score, float))
    return {k: float(v) for k, v in out.items()}

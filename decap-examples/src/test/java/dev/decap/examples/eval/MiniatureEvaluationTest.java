package dev.decap.examples.eval;

import dev.decap.examples.Strategy;
import dev.decap.miniature.Miniature;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A smaller run of the published evaluation (docs/miniature-results.md): 120 held-out scenes rendered in Java,
 * greedy PD and visual decoding, against the targets of issue 8.
 */
class MiniatureEvaluationTest {

    @Test
    void the_shipped_model_meets_the_targets_and_pd_beats_visual_decoding() {
        Assumptions.assumeTrue(Miniature.isAvailable(), "the miniature model is not in decap-miniature's resources");
        MiniatureEvaluation.Result r = MiniatureEvaluation.run(new MiniatureEvaluation.Settings(120,
                MiniatureEvaluation.DEFAULT_SEED, List.of(Strategy.PD, Strategy.VISUAL), List.of(1)),
                Scorers.cocoMetrics());
        MiniatureEvaluation.Row pd = r.row(Strategy.PD, 1);
        MiniatureEvaluation.Row visual = r.row(Strategy.VISUAL, 1);
        String table = "\n" + r.markdown();
        assertEquals(120, pd.singles() + pd.pairs());
        assertTrue(pd.singles() > 20 && pd.pairs() > 20, table);
        assertTrue(pd.singleAccuracy() >= 0.95, "PD, one object, colour and shape >= 95 %" + table);
        assertTrue(pd.pairAccuracy() >= 0.60, "PD, two objects, both pairs and the relation >= 60 %" + table);
        assertTrue(pd.allFactsAccuracy() > visual.allFactsAccuracy(), "PD beats visual decoding" + table);
        assertTrue(pd.metrics().get("CIDEr") > visual.metrics().get("CIDEr"), "PD's CIDEr-D is higher" + table);
    }
}

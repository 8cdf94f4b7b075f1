"""layerkit-alpaca: the training split of the SFT curriculum as Alpaca-style JSON Lines."""

import json

from layerkit import hookimpl
from layerkit.atomic import atomic_output
from layerkit.curriculum import iter_records
from layerkit.plugin_api import ExportReport


class AlpacaExporter:
    name = "alpaca"
    description = "the curriculum's training records as Alpaca JSON Lines"

    def export(self, store, out, options):
        count = 0
        with atomic_output(out) as handle:
            for record in iter_records(store, options):
                if record["meta"]["split"] == "train":
                    system, user, answer = (m["content"] for m in record["messages"])
                    item = {"instruction": system, "input": user, "output": answer}
                    handle.write(json.dumps(item, ensure_ascii=False) + "\n")
                    count += 1
        return ExportReport(path=out, counts={"records": count})


@hookimpl
def register_exporters(register):
    register(AlpacaExporter())

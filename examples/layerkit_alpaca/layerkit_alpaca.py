"""layerkit-alpaca: the training split of the SFT curriculum as Alpaca-style JSON Lines."""

import json

from layerkit.plugin import ExportError, ExportReport, atomic_output, hookimpl, iter_records


class AlpacaExporter:
    name = "alpaca"
    description = "the curriculum's training records as Alpaca JSON Lines"

    def export(self, reader, out, context):
        count = 0
        with atomic_output(out) as handle:
            for record in iter_records(reader, context):
                if record["meta"]["split"] == "train":
                    system, user, answer = (m["content"] for m in record["messages"])
                    item = {"instruction": system, "input": user, "output": answer}
                    handle.write(json.dumps(item, ensure_ascii=False) + "\n")
                    count += 1
            if count == 0:
                raise ExportError("no training records.", hint="Mark some layers done first.")
        return ExportReport(path=out, counts={"records": count})


@hookimpl
def register_exporters(register):
    register(AlpacaExporter())

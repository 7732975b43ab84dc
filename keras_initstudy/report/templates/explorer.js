(function () {
  "use strict";
  const DATA = JSON.parse(
    document.getElementById("explorer-data").textContent);
  const CONFIG = {displaylogo: false, responsive: true};
  function render(panel) {
    const key = panel.selectors
      .map((id) => document.getElementById(id).value).join("|");
    const choice = panel.choices[key];
    document.getElementById(panel.name + "-missing").hidden = !!choice;
    if (!choice) return;
    for (const [id, fig] of Object.entries(choice.figures)) {
      const layout = Object.assign({template: DATA.template}, fig.layout);
      Plotly.react(id, fig.data, layout, CONFIG);
    }
    for (const [id, shown] of Object.entries(choice.numbers)) {
      const el = document.getElementById(id);
      el.textContent = shown.text;
      el.dataset.value = shown.value === null ? "" : String(shown.value);
    }
  }
  for (const panel of DATA.panels) {
    for (const id of panel.selectors) {
      document.getElementById(id)
        .addEventListener("input", () => render(panel));
    }
    render(panel);
  }
  for (const button of document.querySelectorAll("button[data-step]")) {
    button.addEventListener("click", () => {
      const slider = document.getElementById(button.dataset.target);
      slider.value = Number(slider.value) + Number(button.dataset.step);
      slider.dispatchEvent(new Event("input"));
    });
  }
})();

import { Component, onMounted, onWillStart, onWillUnmount, onWillUpdateProps, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";

/** A Chart.js bar chart (Odoo's own bundle, loaded on demand); a click on a bar calls onBarClick. */
export class TelephonyBarChart extends Component {
    static template = "telephony.BarChart";
    static props = {
        labels: Array,
        datasets: Array,
        stacked: { type: Boolean, optional: true },
        horizontal: { type: Boolean, optional: true },
        onBarClick: Function,
    };

    setup() {
        this.canvas = useRef("canvas");
        onWillStart(() => loadBundle("web.chartjs_lib"));
        onMounted(() => this.draw(this.props));
        onWillUpdateProps((next) => this.draw(next));
        onWillUnmount(() => this.chart?.destroy());
    }

    draw({ labels, datasets, stacked, horizontal }) {
        this.chart?.destroy();
        const axis = { stacked: Boolean(stacked), ticks: { precision: 0 } };
        this.chart = new window.Chart(this.canvas.el, {
            type: "bar",
            data: { labels, datasets },
            options: {
                indexAxis: horizontal ? "y" : "x",
                maintainAspectRatio: false,
                scales: { x: axis, y: axis },
                onClick: (event, elements) => {
                    if (elements.length) {
                        this.props.onBarClick(elements[0].datasetIndex, elements[0].index);
                    }
                },
                onHover: (event, elements) => {
                    event.native.target.style.cursor = elements.length ? "pointer" : "default";
                },
            },
        });
    }
}

import { Component, onMounted, onWillStart, onWillUnmount, onWillUpdateProps, toRaw, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";

/**
 * Chart.js writes into the data it draws: it patches each data array to watch it and deletes the patch
 * when a chart is destroyed. Given the dashboard's OWL-reactive state, each of those writes re-rendered
 * the dashboard, which handed the chart new props, which destroyed and drew it again: an endless loop
 * that froze the tab. The chart therefore only ever gets plain copies, and is updated in place.
 */
function plainCopy(value) {
    return JSON.parse(JSON.stringify(toRaw(value)));
}

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
        onWillUpdateProps((next) => this.update(next));
        onWillUnmount(() => this.chart.destroy());
    }

    draw(props) {
        this.chart = new window.Chart(this.canvas.el, {
            type: "bar",
            data: this.chartData(props),
            options: this.chartOptions(props),
        });
    }

    update(props) {
        this.chart.data = this.chartData(props);
        this.chart.options = this.chartOptions(props);
        this.chart.update();
    }

    chartData({ labels, datasets }) {
        return { labels: plainCopy(labels), datasets: plainCopy(datasets) };
    }

    chartOptions({ stacked, horizontal }) {
        const axis = { stacked: Boolean(stacked), ticks: { precision: 0 } };
        return {
            indexAxis: horizontal ? "y" : "x",
            maintainAspectRatio: false,
            scales: { x: { ...axis }, y: { ...axis } },
            onClick: (event, elements) => {
                if (elements.length) {
                    this.props.onBarClick(elements[0].datasetIndex, elements[0].index);
                }
            },
            onHover: (event, elements) => {
                event.native.target.style.cursor = elements.length ? "pointer" : "default";
            },
        };
    }
}

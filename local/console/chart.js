// A small line chart drawn as inline SVG, for the console's overview: no library, so the page works
// offline and loads nothing from elsewhere. Colours come from console.css (.series-<key>), since the
// page's CSP allows no inline style. Text goes in with textContent, as everywhere in the console.
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const WIDTH = 640;
  const HEIGHT = 180;
  const MARGIN = { top: 10, right: 12, bottom: 22, left: 40 };

  function element(name, attributes = {}, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** 1, 2, 5, 10, 20, 50…: the smallest of these at or above `value`, so the axis reads in round numbers. */
  function niceCeiling(value) {
    if (value <= 1) return 1;
    const magnitude = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
    return 10 * magnitude;
  }

  function timeLabel(iso, spanMs) {
    const options = spanMs > 24 * 3600 * 1000 ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
    return new Date(iso).toLocaleString([], options);
  }

  /**
   * Draws `points` (objects with `at` and a count per series key) into `container`, replacing what
   * was there: one line per series, a dot where a period's count is not zero (with its count as a
   * tooltip), and the axes' extremes. Returns the <svg>.
   *
   * @example
   * ConsoleChart.draw(document.getElementById('overview-chart'), overview.points, [{ key: 'received', label: 'received' }]);
   */
  function draw(container, points, series) {
    const svg = element('svg', { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': 'Events per period' });
    const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const top = niceCeiling(Math.max(0, ...points.flatMap((point) => series.map(({ key }) => point[key] ?? 0))));
    const x = (index) => MARGIN.left + (points.length > 1 ? (index * plotWidth) / (points.length - 1) : plotWidth / 2);
    const y = (value) => MARGIN.top + plotHeight - (value / top) * plotHeight;

    for (const value of [0, top / 2, top]) {
      svg.append(element('line', { class: 'grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }));
      // Half of an odd top is not a count: label it only when it is a whole number.
      if (Number.isInteger(value)) svg.append(element('text', { class: 'axis', x: MARGIN.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, String(value)));
    }
    if (points.length > 0) {
      const span = Date.parse(points[points.length - 1].at) - Date.parse(points[0].at);
      svg.append(element('text', { class: 'axis', x: x(0), y: HEIGHT - 6, 'text-anchor': 'start' }, timeLabel(points[0].at, span)));
      svg.append(element('text', { class: 'axis', x: x(points.length - 1), y: HEIGHT - 6, 'text-anchor': 'end' }, timeLabel(points[points.length - 1].at, span)));
    }

    for (const { key, label } of series) {
      const coordinates = points.map((point, index) => `${x(index).toFixed(1)},${y(point[key] ?? 0).toFixed(1)}`).join(' ');
      svg.append(element('polyline', { class: `line series-${key}`, points: coordinates, 'data-series': key }));
      points.forEach((point, index) => {
        const count = point[key] ?? 0;
        if (count === 0) return;
        const dot = element('circle', { class: `dot series-${key}`, cx: x(index).toFixed(1), cy: y(count).toFixed(1), r: 3, 'data-series': key });
        dot.append(element('title', {}, `${new Date(point.at).toLocaleString()}: ${count} ${label}`));
        svg.append(dot);
      });
    }
    container.replaceChildren(svg);
    return svg;
  }

  window.ConsoleChart = { draw };
})();

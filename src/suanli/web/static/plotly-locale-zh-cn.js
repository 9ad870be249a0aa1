/* Plotly's zh-CN locale, served from this origin (no CDN): month and day names, date format and the
   mode bar's words, after plotly.js's own src/locale/zh-cn.js (MIT licence). The `plotly` PyPI package
   ships only plotly.min.js, without the locale files, so the project keeps this copy. Registered before
   app.js draws; app.js picks it when the page is Chinese. */
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  window.Plotly.register({
    moduleType: "locale",
    name: "zh-CN",
    dictionary: {
      "Autoscale": "自动缩放",
      "Box Select": "矩形框选择",
      "Click to enter Colorscale title": "单击输入色阶的标题",
      "Click to enter Plot title": "单击输入图表的标题",
      "Click to enter X axis title": "单击输入X轴的标题",
      "Click to enter Y axis title": "单击输入Y轴的标题",
      "Compare data on hover": "悬停时比较数据",
      "Double-click on legend to isolate one trace": "双击图例来突显对应轨迹",
      "Double-click to zoom back out": "双击返回缩小显示",
      "Download plot as a png": "下载图表为PNG格式",
      "Download plot": "下载图表",
      "Edit in Chart Studio": "在 Chart Studio 中编辑",
      "Lasso Select": "套索选择",
      "Orbital rotation": "轨道旋转",
      "Pan": "平移",
      "Produced with Plotly.js": "由 Plotly.js 生成",
      "Reset": "重置",
      "Reset axes": "重置轴",
      "Reset view": "重置视图",
      "Show closest data on hover": "悬停时显示最近的数据",
      "Snapshot succeeded": "生成快照成功",
      "Sorry, there was a problem downloading your snapshot!": "抱歉，下载快照出现问题！",
      "Taking snapshot - this may take a few seconds": "正在生成快照 - 可能需要几秒钟",
      "Toggle Spike Lines": "切换显示数据点辅助线",
      "Toggle show closest data on hover": "切换悬停时显示最近的数据",
      "Turntable rotation": "转台旋转",
      "Zoom": "缩放",
      "Zoom in": "放大",
      "Zoom out": "缩小",
      "close:": "关闭：",
      "high:": "最高：",
      "low:": "最低：",
      "max:": "最大值：",
      "mean:": "平均值：",
      "median:": "中位数：",
      "min:": "最小值：",
      "open:": "开盘：",
      "trace": "轨迹"
    },
    format: {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      date: "%Y-%m-%d",
      decimal: ".",
      thousands: ","
    }
  });
})();
